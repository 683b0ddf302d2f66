using System.Globalization;
using System.Text;
using System.Text.Json;
using CsvHelper;
using CsvHelper.Configuration;

namespace ControlPlane.Datasets;

/// <summary>
/// RFC 4180 CSV with a header line naming the fields; an empty cell is an absent field. Product
/// <c>attributes</c> is a cell holding a JSON object.
/// </summary>
public sealed class CsvRecordReader : RecordReader
{
    private readonly CsvParser _parser;
    private readonly DatasetDefinition _dataset;
    private readonly bool _allowOp;
    private readonly StringBuilder _attributes = new();
    private FieldId?[]? _columns;
    private string[] _columnNames = [];
    private bool _finished;

    public CsvRecordReader(Stream body, DatasetDefinition dataset, bool allowOp)
    {
        _dataset = dataset;
        _allowOp = allowOp;
        var configuration = new CsvConfiguration(CultureInfo.InvariantCulture)
        {
            HasHeaderRecord = true,
            DetectColumnCountChanges = false,
            IgnoreBlankLines = true,
            BadDataFound = null,
        };
        _parser = new CsvParser(new StreamReader(body, Encoding.UTF8, detectEncodingFromByteOrderMarks: true, bufferSize: 64 * 1024), configuration);
    }

    public override async ValueTask<bool> ReadAsync(RecordFields fields, ImportErrors errors, CancellationToken cancellationToken)
    {
        if (_finished)
        {
            return false;
        }

        try
        {
            if (_columns is null && !await ReadHeaderAsync(errors))
            {
                _finished = true;
                return false;
            }

            if (!await _parser.ReadAsync())
            {
                _finished = true;
                return false;
            }
        }
        catch (CsvHelperException exception)
        {
            errors.Add(_parser.RawRow, null, "malformed CSV: " + exception.Message.Split('\n')[0]);
            _finished = true;
            return false;
        }

        Line = _parser.RawRow;
        fields.Clear();
        var record = _parser.Record ?? [];
        if (record.Length != _columns!.Length)
        {
            fields.MarkUnreadable();
            errors.Add(Line, null, $"expected {_columns.Length} cells as in the header, found {record.Length}");
            return true;
        }

        for (var i = 0; i < record.Length; i++)
        {
            if (record[i].Length > 0 && _columns[i] is { } field)
            {
                SetField(field, _columnNames[i], record[i], fields, errors);
            }
        }

        return true;
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _parser.Dispose();
        }

        base.Dispose(disposing);
    }

    private async Task<bool> ReadHeaderAsync(ImportErrors errors)
    {
        if (!await _parser.ReadAsync())
        {
            return false;
        }

        var header = _parser.Record ?? [];
        _columnNames = header;
        _columns = new FieldId?[header.Length];
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < header.Length; i++)
        {
            var name = header[i].Trim();
            if (!seen.Add(name))
            {
                errors.Add(1, name, $"column '{name}' appears twice in the header");
            }
            else if (_dataset.TryGetField(name, _allowOp, out var field))
            {
                _columns[i] = field;
            }
            else
            {
                errors.Add(1, name, $"unknown column '{name}' for dataset '{_dataset.Name}'");
            }
        }

        return !errors.Any;
    }

    private void SetField(FieldId field, string name, string value, RecordFields fields, ImportErrors errors)
    {
        switch (field)
        {
            case FieldId.Amount or FieldId.ListAmount:
                if (decimal.TryParse(value, NumberStyles.AllowDecimalPoint | NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var amount))
                {
                    fields.SetDecimal(field, amount);
                }
                else
                {
                    fields.MarkFailed(field);
                    Fail(fields, errors, name, $"'{name}' must be a decimal number");
                }

                break;
            case FieldId.Available:
                if (long.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var available))
                {
                    fields.Available = available;
                }
                else
                {
                    fields.MarkFailed(field);
                    Fail(fields, errors, name, "'available' must be a non-negative integer");
                }

                break;
            case FieldId.Attributes:
                try
                {
                    using var document = JsonDocument.Parse(value);
                    if (document.RootElement.ValueKind != JsonValueKind.Object)
                    {
                        Fail(fields, errors, name, "'attributes' must be a JSON object");
                        break;
                    }

                    _attributes.Clear();
                    if (CanonicalJson.TryWriteValue(_attributes, document.RootElement) is { } problem)
                    {
                        Fail(fields, errors, name, $"'attributes': {problem}");
                        break;
                    }

                    fields.Attributes = _attributes.ToString();
                }
                catch (JsonException)
                {
                    Fail(fields, errors, name, "'attributes' is not valid JSON");
                }

                break;
            default:
                fields.SetText(field, value);
                break;
        }
    }

    private void Fail(RecordFields fields, ImportErrors errors, string field, string message)
    {
        fields.HasParseError = true;
        errors.Add(Line, field, message);
    }
}
