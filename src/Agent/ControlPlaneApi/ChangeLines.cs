using System.Text.Json;
using ControlPlane.Contracts;

namespace Agent.ControlPlaneApi;

/// <summary>Parses the NDJSON of a changes chunk: <c>{"sku":"..","data":{...}}</c> or <c>{"sku":"..","deleted":true}</c>.</summary>
public static class ChangeLines
{
    public static IReadOnlyList<ChangeLine> Parse(ReadOnlySpan<byte> body)
    {
        var lines = new List<ChangeLine>();
        var number = 0;
        while (!body.IsEmpty)
        {
            number++;
            var end = body.IndexOf((byte)'\n');
            var line = end < 0 ? body : body[..end];
            body = end < 0 ? [] : body[(end + 1)..];
            if (line.IsEmpty || (line.Length == 1 && line[0] == (byte)'\r'))
            {
                continue;
            }

            lines.Add(ParseLine(line, number));
        }

        return lines;
    }

    private static ChangeLine ParseLine(ReadOnlySpan<byte> line, int number)
    {
        var reader = new Utf8JsonReader(line);
        using var document = JsonDocument.ParseValue(ref reader);
        var root = document.RootElement;
        if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("sku", out var sku) || sku.ValueKind != JsonValueKind.String)
        {
            throw new FormatException($"Change line {number} has no SKU.");
        }

        if (root.TryGetProperty("deleted", out var deleted) && deleted.ValueKind == JsonValueKind.True)
        {
            return new ChangeLine(sku.GetString()!, null, Deleted: true);
        }

        if (!root.TryGetProperty("data", out var data) || data.ValueKind != JsonValueKind.Object)
        {
            throw new FormatException($"Change line {number} has neither data nor deleted.");
        }

        // The server's canonical bytes, as sent: re-serializing could change them and break the content hash.
        return new ChangeLine(sku.GetString()!, data.GetRawText(), Deleted: false);
    }
}
