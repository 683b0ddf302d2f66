namespace ControlPlane.Datasets;

/// <summary>
/// The fields of one import line after parsing, before the dataset's rules are applied.
/// One instance is reused across the lines of an import to keep the streaming path allocation-light.
/// </summary>
public sealed class RecordFields
{
    public string? Op { get; set; }
    public string? Sku { get; set; }
    public decimal? Amount { get; set; }
    public string? Currency { get; set; }
    public decimal? ListAmount { get; set; }
    public long? Available { get; set; }
    public string? Warehouse { get; set; }
    public string? Title { get; set; }
    public string? Category { get; set; }

    /// <summary>The attributes object already in canonical JSON.</summary>
    public string? Attributes { get; set; }

    /// <summary>Set when parsing already reported an error for this line.</summary>
    public bool HasParseError { get; set; }

    /// <summary>
    /// Set when the line could not be read into fields at all (malformed JSON, not an object, wrong number of
    /// CSV cells). Its one error is already reported; the dataset's rules would only add noise such as
    /// "'currency' is required" for fields the reader never reached.
    /// </summary>
    public bool Unreadable { get; private set; }

    /// <summary>Fields whose value could not be parsed; their "required" rule is not reported again.</summary>
    public int FailedFields { get; private set; }

    public void MarkFailed(FieldId field)
    {
        HasParseError = true;
        FailedFields |= 1 << (int)field;
    }

    public void MarkUnreadable()
    {
        HasParseError = true;
        Unreadable = true;
    }

    public bool Failed(FieldId field) => (FailedFields & (1 << (int)field)) != 0;

    public void Clear()
    {
        Op = Sku = Currency = Warehouse = Title = Category = Attributes = null;
        Amount = ListAmount = null;
        Available = null;
        HasParseError = false;
        Unreadable = false;
        FailedFields = 0;
    }

    public void SetDecimal(FieldId field, decimal value)
    {
        if (field == FieldId.Amount)
        {
            Amount = value;
        }
        else
        {
            ListAmount = value;
        }
    }

    public void SetText(FieldId field, string value)
    {
        switch (field)
        {
            case FieldId.Op: Op = value; break;
            case FieldId.Sku: Sku = value; break;
            case FieldId.Currency: Currency = value; break;
            case FieldId.Warehouse: Warehouse = value; break;
            case FieldId.Title: Title = value; break;
            case FieldId.Category: Category = value; break;
            default: throw new ArgumentOutOfRangeException(nameof(field), field, "not a text field");
        }
    }
}
