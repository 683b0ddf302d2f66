using System.Globalization;
using System.Text;
using System.Text.Json;

namespace ControlPlane.Datasets;

/// <summary>
/// The canonical JSON form of records (README, "Canonical form"): RFC 8785 style (keys sorted by UTF-16
/// code units, no white space, minimal string escaping) except that numbers are written as plain decimals.
/// </summary>
public static class CanonicalJson
{
    public static void WriteString(StringBuilder builder, string value)
    {
        builder.Append('"');
        foreach (var c in value)
        {
            switch (c)
            {
                case '"': builder.Append("\\\""); break;
                case '\\': builder.Append("\\\\"); break;
                case '\b': builder.Append("\\b"); break;
                case '\f': builder.Append("\\f"); break;
                case '\n': builder.Append("\\n"); break;
                case '\r': builder.Append("\\r"); break;
                case '\t': builder.Append("\\t"); break;
                default:
                    if (c < 0x20)
                    {
                        builder.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
                    }
                    else
                    {
                        builder.Append(c);
                    }

                    break;
            }
        }

        builder.Append('"');
    }

    /// <summary>Writes a decimal without exponent and without trailing zeros: 12.50 becomes 12.5, 3.0 becomes 3.</summary>
    public static void WriteDecimal(StringBuilder builder, decimal value) =>
        builder.Append(Normalize(value).ToString(CultureInfo.InvariantCulture));

    public static decimal Normalize(decimal value) => value / 1.0000000000000000000000000000m;

    /// <summary>Canonicalizes an arbitrary JSON value; returns an error message instead when it cannot be.</summary>
    public static string? TryWriteValue(StringBuilder builder, JsonElement element)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                var properties = new List<JsonProperty>();
                var seen = new HashSet<string>(StringComparer.Ordinal);
                foreach (var property in element.EnumerateObject())
                {
                    if (!seen.Add(property.Name))
                    {
                        return $"duplicate key '{property.Name}'";
                    }

                    properties.Add(property);
                }

                properties.Sort((a, b) => string.CompareOrdinal(a.Name, b.Name));
                builder.Append('{');
                for (var i = 0; i < properties.Count; i++)
                {
                    if (i > 0)
                    {
                        builder.Append(',');
                    }

                    WriteString(builder, properties[i].Name);
                    builder.Append(':');
                    if (TryWriteValue(builder, properties[i].Value) is { } error)
                    {
                        return error;
                    }
                }

                builder.Append('}');
                return null;
            case JsonValueKind.Array:
                builder.Append('[');
                var first = true;
                foreach (var item in element.EnumerateArray())
                {
                    if (!first)
                    {
                        builder.Append(',');
                    }

                    first = false;
                    if (TryWriteValue(builder, item) is { } error)
                    {
                        return error;
                    }
                }

                builder.Append(']');
                return null;
            case JsonValueKind.String:
                WriteString(builder, element.GetString()!);
                return null;
            case JsonValueKind.Number:
                if (!decimal.TryParse(element.GetRawText(), NumberStyles.Float, CultureInfo.InvariantCulture, out var number))
                {
                    return $"number {element.GetRawText()} is out of the supported range";
                }

                WriteDecimal(builder, number);
                return null;
            case JsonValueKind.True:
                builder.Append("true");
                return null;
            case JsonValueKind.False:
                builder.Append("false");
                return null;
            case JsonValueKind.Null:
                builder.Append("null");
                return null;
            default:
                return "unsupported JSON value";
        }
    }
}
