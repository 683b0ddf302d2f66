using System.Buffers;
using System.Globalization;
using System.IO.Pipelines;
using System.Text;
using System.Text.Json;

namespace ControlPlane.Datasets;

/// <summary>Newline-delimited JSON: one object per line; blank lines are skipped but counted.</summary>
public sealed class NdjsonRecordReader : RecordReader
{
    public const int MaxLineBytes = 1024 * 1024;
    private readonly PipeReader _pipe;
    private readonly DatasetDefinition _dataset;
    private readonly bool _allowOp;
    private readonly (byte[] Name, FieldId Field)[] _fieldNames;
    private readonly StringBuilder _attributes = new();
    private ReadOnlySequence<byte> _buffer;
    private bool _hasBuffer;
    private bool _completed;
    private bool _finished;
    private bool _pipeCompleted;

    public NdjsonRecordReader(PipeReader pipe, DatasetDefinition dataset, bool allowOp)
    {
        _pipe = pipe;
        _dataset = dataset;
        _allowOp = allowOp;
        var names = dataset.Fields.Select(pair => (Encoding.UTF8.GetBytes(pair.Key), pair.Value)).ToList();
        if (allowOp)
        {
            names.Insert(0, ("op"u8.ToArray(), FieldId.Op));
        }

        _fieldNames = [.. names];
    }

    public override async ValueTask<bool> ReadAsync(RecordFields fields, ImportErrors errors, CancellationToken cancellationToken)
    {
        while (!_finished)
        {
            if (_hasBuffer)
            {
                var newline = _buffer.PositionOf((byte)'\n');
                ReadOnlySequence<byte> line;
                if (newline is { } position)
                {
                    line = _buffer.Slice(0, position);
                    _buffer = _buffer.Slice(_buffer.GetPosition(1, position));
                }
                else if (_completed)
                {
                    // The last line has no newline. It still lives in the pipe's buffers, which completing the
                    // pipe hands back to the pool, so the pipe is completed only once the line has been parsed.
                    line = _buffer;
                    _buffer = _buffer.Slice(_buffer.End);
                    _finished = true;
                    if (line.IsEmpty)
                    {
                        await CompletePipeAsync();
                        return false;
                    }
                }
                else if (_buffer.Length > MaxLineBytes)
                {
                    errors.Add(Line + 1, null, $"line is longer than {MaxLineBytes} bytes");
                    _finished = true;
                    await CompletePipeAsync();
                    return false;
                }
                else
                {
                    _pipe.AdvanceTo(_buffer.Start, _buffer.End);
                    _hasBuffer = false;
                    continue;
                }

                Line++;
                if (IsBlank(line))
                {
                    continue;
                }

                fields.Clear();
                ParseLine(line, fields, errors);
                return true;
            }

            var result = await _pipe.ReadAsync(cancellationToken);
            _buffer = result.Buffer;
            _completed = result.IsCompleted;
            _hasBuffer = true;
        }

        await CompletePipeAsync();
        return false;
    }

    private async ValueTask CompletePipeAsync()
    {
        if (!_pipeCompleted)
        {
            _pipeCompleted = true;
            _pipe.AdvanceTo(_buffer.End);
            await _pipe.CompleteAsync();
        }
    }

    private static bool IsBlank(ReadOnlySequence<byte> line)
    {
        foreach (var segment in line)
        {
            foreach (var b in segment.Span)
            {
                if (b is not ((byte)' ' or (byte)'\t' or (byte)'\r'))
                {
                    return false;
                }
            }
        }

        return true;
    }

    private void ParseLine(ReadOnlySequence<byte> line, RecordFields fields, ImportErrors errors)
    {
        var lineNumber = Line;
        if (lineNumber == 1 && line.FirstSpan.StartsWith((ReadOnlySpan<byte>)[0xEF, 0xBB, 0xBF]))
        {
            line = line.Slice(3);
        }

        // The span reader is markedly faster than the sequence one; almost every line sits in one segment.
        var reader = line.IsSingleSegment
            ? new Utf8JsonReader(line.FirstSpan, new JsonReaderOptions { MaxDepth = 32 })
            : new Utf8JsonReader(line, new JsonReaderOptions { MaxDepth = 32 });
        var seen = 0;
        try
        {
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                Fail(fields, errors, lineNumber, null, "line is not a JSON object");
                fields.MarkUnreadable();
                return;
            }

            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var field = Match(ref reader);
                if (field is null)
                {
                    Fail(fields, errors, lineNumber, reader.GetString(), $"unknown field '{reader.GetString()}' for dataset '{_dataset.Name}'");
                    reader.Read();
                    reader.Skip();
                    continue;
                }

                var bit = 1 << (int)field.Value;
                if ((seen & bit) != 0)
                {
                    Fail(fields, errors, lineNumber, _dataset.FieldName(field.Value), "field appears twice");
                }

                seen |= bit;
                reader.Read();
                ReadValue(ref reader, field.Value, fields, errors, lineNumber);
            }

            if (reader.Read())
            {
                Fail(fields, errors, lineNumber, null, "unexpected content after the JSON object");
            }
        }
        catch (JsonException exception)
        {
            Fail(fields, errors, lineNumber, null, "malformed JSON: " + FirstSentence(exception.Message));
            fields.MarkUnreadable();
        }
        catch (InvalidOperationException exception)
        {
            Fail(fields, errors, lineNumber, null, "malformed JSON: " + FirstSentence(exception.Message));
            fields.MarkUnreadable();
        }
    }

    private FieldId? Match(ref Utf8JsonReader reader)
    {
        foreach (var (name, field) in _fieldNames)
        {
            if (reader.ValueTextEquals(name))
            {
                return field;
            }
        }

        return null;
    }

    private void ReadValue(ref Utf8JsonReader reader, FieldId field, RecordFields fields, ImportErrors errors, long line)
    {
        var name = field == FieldId.Op ? "op" : _dataset.FieldName(field);
        if (reader.TokenType == JsonTokenType.Null)
        {
            return;
        }

        switch (field)
        {
            case FieldId.Amount or FieldId.ListAmount:
                decimal value;
                if (reader.TokenType == JsonTokenType.Number && reader.TryGetDecimal(out value)
                    || reader.TokenType == JsonTokenType.String && decimal.TryParse(reader.GetString(), NumberStyles.Number & ~NumberStyles.AllowThousands, CultureInfo.InvariantCulture, out value))
                {
                    fields.SetDecimal(field, value);
                }
                else
                {
                    fields.MarkFailed(field);
                    Fail(fields, errors, line, name, $"'{name}' must be a decimal number");
                    reader.Skip();
                }

                return;
            case FieldId.Available:
                if (reader.TokenType == JsonTokenType.Number && reader.TryGetInt64(out var available))
                {
                    fields.Available = available;
                }
                else
                {
                    fields.MarkFailed(field);
                    Fail(fields, errors, line, name, "'available' must be a non-negative integer");
                    reader.Skip();
                }

                return;
            case FieldId.Attributes:
                if (reader.TokenType != JsonTokenType.StartObject)
                {
                    Fail(fields, errors, line, name, "'attributes' must be a JSON object");
                    reader.Skip();
                    return;
                }

                var element = JsonElement.ParseValue(ref reader);
                _attributes.Clear();
                if (CanonicalJson.TryWriteValue(_attributes, element) is { } problem)
                {
                    Fail(fields, errors, line, name, $"'attributes': {problem}");
                    return;
                }

                fields.Attributes = _attributes.ToString();
                return;
            default:
                if (reader.TokenType != JsonTokenType.String)
                {
                    fields.MarkFailed(field);
                    Fail(fields, errors, line, name, $"'{name}' must be a string");
                    reader.Skip();
                    return;
                }

                fields.SetText(field, reader.GetString()!);
                return;
        }
    }

    private static void Fail(RecordFields fields, ImportErrors errors, long line, string? field, string message)
    {
        fields.HasParseError = true;
        errors.Add(line, field, message);
    }

    private static string FirstSentence(string message)
    {
        var end = message.IndexOf(". ", StringComparison.Ordinal);
        return end > 0 ? message[..(end + 1)] : message;
    }
}
