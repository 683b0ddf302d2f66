using System.Globalization;
using System.Text;

namespace ControlPlane.Datasets;

public enum ChangeOp
{
    Upsert,
    Delete,
}

/// <summary>
/// Applies a dataset's rules to parsed fields and produces the record's canonical JSON.
/// Every broken rule of a line is reported, each naming its field.
/// </summary>
public sealed class RecordRules(DatasetDefinition dataset)
{
    public const int MaxSkuLength = 64;
    public const int MaxDecimalPlaces = 4;
    private readonly StringBuilder _builder = new(256);

    public DatasetDefinition Dataset => dataset;

    /// <summary>Validates a full-snapshot line; returns its canonical JSON or null when it broke a rule.</summary>
    public string? ValidateRecord(RecordFields fields, long line, ImportErrors errors)
    {
        if (fields.Unreadable)
        {
            // The reader reported the line's one error; no field of it can be trusted, not even the SKU.
            LastSkuValid = false;
            return null;
        }

        var before = errors.Count;
        if (fields.Op is not null)
        {
            errors.Add(line, "op", "'op' is only allowed in a change set (mode=delta)");
        }

        CheckSku(fields, line, errors);
        var canonical = dataset.Id switch
        {
            1 => Price(fields, line, errors),
            2 => Stock(fields, line, errors),
            _ => Product(fields, line, errors),
        };
        return errors.Count == before && !fields.HasParseError ? canonical : null;
    }

    /// <summary>Validates a change-set line: <c>op</c> is upsert (with a full record) or delete (with a SKU only).</summary>
    public (ChangeOp Op, string? Canonical)? ValidateChange(RecordFields fields, long line, ImportErrors errors)
    {
        LastSkuValid = false;
        if (fields.Unreadable)
        {
            return null;
        }

        var before = errors.Count;
        switch (fields.Op)
        {
            case "upsert":
                var op = fields.Op;
                fields.Op = null;
                var canonical = ValidateRecord(fields, line, errors);
                fields.Op = op;
                return canonical is null ? null : (ChangeOp.Upsert, canonical);
            case "delete":
                CheckSku(fields, line, errors);
                if (fields.Amount is not null || fields.Currency is not null || fields.ListAmount is not null || fields.Available is not null
                    || fields.Warehouse is not null || fields.Title is not null || fields.Category is not null || fields.Attributes is not null)
                {
                    errors.Add(line, null, "a delete names only 'op' and 'sku'");
                }

                return errors.Count == before && !fields.HasParseError ? (ChangeOp.Delete, null) : null;
            case null:
                errors.Add(line, "op", "'op' is required in a change set: \"upsert\" or \"delete\"");
                return null;
            default:
                errors.Add(line, "op", $"unknown op '{fields.Op}': use \"upsert\" or \"delete\"");
                return null;
        }
    }

    private string? Price(RecordFields fields, long line, ImportErrors errors)
    {
        CheckAmount(fields.Amount, "amount", required: !fields.Failed(FieldId.Amount), line, errors);
        CheckAmount(fields.ListAmount, "listAmount", required: false, line, errors);
        if (fields.Currency is null && !fields.Failed(FieldId.Currency))
        {
            errors.Add(line, "currency", "'currency' is required");
        }
        else if (fields.Currency is not null && !Currencies.IsKnown(fields.Currency))
        {
            errors.Add(line, "currency", $"'{fields.Currency}' is not an ISO 4217 currency code");
        }

        if (fields.Sku is null || fields.Amount is null || fields.Currency is null)
        {
            return null;
        }

        var b = _builder.Clear();
        b.Append("{\"amount\":");
        CanonicalJson.WriteDecimal(b, fields.Amount.Value);
        b.Append(",\"currency\":");
        CanonicalJson.WriteString(b, fields.Currency);
        if (fields.ListAmount is { } listAmount)
        {
            b.Append(",\"listAmount\":");
            CanonicalJson.WriteDecimal(b, listAmount);
        }

        b.Append(",\"sku\":");
        CanonicalJson.WriteString(b, fields.Sku);
        return b.Append('}').ToString();
    }

    private string? Stock(RecordFields fields, long line, ImportErrors errors)
    {
        if (fields.Available is null)
        {
            if (!fields.Failed(FieldId.Available))
            {
                errors.Add(line, "available", "'available' is required");
            }
        }
        else if (fields.Available < 0)
        {
            errors.Add(line, "available", "'available' must be a non-negative integer");
        }

        if (fields.Warehouse is { Length: 0 })
        {
            errors.Add(line, "warehouse", "'warehouse' must not be empty when given");
        }

        if (fields.Sku is null || fields.Available is null)
        {
            return null;
        }

        var b = _builder.Clear();
        b.Append("{\"available\":").Append(fields.Available.Value.ToString(CultureInfo.InvariantCulture));
        b.Append(",\"sku\":");
        CanonicalJson.WriteString(b, fields.Sku);
        if (fields.Warehouse is not null)
        {
            b.Append(",\"warehouse\":");
            CanonicalJson.WriteString(b, fields.Warehouse);
        }

        return b.Append('}').ToString();
    }

    private string? Product(RecordFields fields, long line, ImportErrors errors)
    {
        if (string.IsNullOrWhiteSpace(fields.Title) && !fields.Failed(FieldId.Title))
        {
            errors.Add(line, "title", "'title' is required and must not be empty");
        }

        if (fields.Category is null && !fields.Failed(FieldId.Category))
        {
            errors.Add(line, "category", "'category' is required");
        }

        if (fields.Sku is null || string.IsNullOrWhiteSpace(fields.Title) || fields.Category is null)
        {
            return null;
        }

        var b = _builder.Clear();
        b.Append('{');
        if (fields.Attributes is not null)
        {
            b.Append("\"attributes\":").Append(fields.Attributes).Append(',');
        }

        b.Append("\"category\":");
        CanonicalJson.WriteString(b, fields.Category);
        b.Append(",\"sku\":");
        CanonicalJson.WriteString(b, fields.Sku);
        b.Append(",\"title\":");
        CanonicalJson.WriteString(b, fields.Title);
        return b.Append('}').ToString();
    }

    private static void CheckAmount(decimal? amount, string field, bool required, long line, ImportErrors errors)
    {
        if (amount is null)
        {
            if (required)
            {
                errors.Add(line, field, $"'{field}' is required");
            }

            return;
        }

        if (amount <= 0)
        {
            errors.Add(line, field, $"'{field}' must be greater than 0");
        }
        else if (decimal.Round(amount.Value, MaxDecimalPlaces) != amount.Value)
        {
            errors.Add(line, field, $"'{field}' has more than {MaxDecimalPlaces} decimal places");
        }
    }

    /// <summary>True when the last validated line carried a well-formed SKU (so duplicates can be found even on lines with other problems).</summary>
    public bool LastSkuValid { get; private set; }

    private void CheckSku(RecordFields fields, long line, ImportErrors errors)
    {
        LastSkuValid = false;
        if (fields.Sku is null)
        {
            if (!fields.Failed(FieldId.Sku))
            {
                errors.Add(line, "sku", "'sku' is required");
            }

            return;
        }

        if (SkuProblem(fields.Sku) is { } problem)
        {
            errors.Add(line, "sku", problem);
            return;
        }

        LastSkuValid = true;
    }

    /// <summary>A SKU is 1..64 printable characters (code points): no control or format characters, no surrounding white space.</summary>
    public static string? SkuProblem(string sku)
    {
        if (sku.Length == 0)
        {
            return "'sku' must not be empty";
        }

        var count = 0;
        foreach (var rune in sku.EnumerateRunes())
        {
            count++;
            var category = Rune.GetUnicodeCategory(rune);
            if (category is UnicodeCategory.Control or UnicodeCategory.Format or UnicodeCategory.LineSeparator
                or UnicodeCategory.ParagraphSeparator or UnicodeCategory.Surrogate or UnicodeCategory.PrivateUse or UnicodeCategory.OtherNotAssigned)
            {
                return $"'sku' contains a non-printable character (U+{rune.Value:X4})";
            }
        }

        if (count > MaxSkuLength)
        {
            return $"'sku' is longer than {MaxSkuLength} characters";
        }

        if (char.IsWhiteSpace(sku[0]) || char.IsWhiteSpace(sku[^1]))
        {
            return "'sku' must not start or end with white space";
        }

        return null;
    }
}
