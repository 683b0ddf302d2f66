using System.Buffers;
using System.IO.Pipelines;
using System.Text.Json;
using ControlPlane.Datasets;

namespace ControlPlane.LiveChanges;

/// <summary>
/// Reads a change batch (NDJSON): <c>{"op":"upsert",...record}</c>, <c>{"op":"delete","sku":...}</c> and, for stock,
/// <c>{"op":"adjust","sku":...,"delta":N}</c>. Upserts and deletes go through the same reader and rules as a change set
/// import, so a live change is exactly as valid as a planned one. Each line is judged on its own.
/// </summary>
public static class ChangeBatchParser
{
    public static async Task<(List<ParsedChange> Changes, List<RejectedChange> Rejected, int Lines)> ParseAsync(
        DatasetDefinition dataset, ReadOnlyMemory<byte> body, CancellationToken cancellationToken)
    {
        var changes = new List<ParsedChange>();
        var rejected = new List<RejectedChange>();
        var rules = new RecordRules(dataset);
        var fields = new RecordFields();
        var lineNumber = 0;
        var lines = 0;
        var start = 0;
        while (start < body.Length)
        {
            var end = body.Span[start..].IndexOf((byte)'\n');
            var line = end < 0 ? body[start..] : body.Slice(start, end);
            start = end < 0 ? body.Length : start + end + 1;
            lineNumber++;
            if (IsBlank(line.Span))
            {
                continue;
            }

            lines++;
            var op = OpOf(line, out var problem);
            if (problem is not null)
            {
                rejected.Add(new RejectedChange(lineNumber, null, problem.Value.Field, StatusCodes.Status400BadRequest, problem.Value.Message));
            }
            else if (op == "adjust")
            {
                var (change, refusal) = ParseAdjust(dataset, line, lineNumber);
                if (change is not null)
                {
                    changes.Add(change);
                }
                else
                {
                    rejected.Add(refusal!);
                }
            }
            else
            {
                var errors = new ImportErrors();
                using var reader = new NdjsonRecordReader(PipeReader.Create(new ReadOnlySequence<byte>(line)), dataset, allowOp: true);
                fields.Clear();
                (ChangeOp Op, string? Canonical)? valid = null;
                if (await reader.ReadAsync(fields, errors, cancellationToken))
                {
                    valid = rules.ValidateChange(fields, lineNumber, errors);
                }

                if (valid is { } ok && !errors.Any)
                {
                    changes.Add(new ParsedChange(lineNumber, fields.Sku!, ok.Op == ChangeOp.Delete ? LiveChangeOp.Delete : LiveChangeOp.Upsert, ok.Canonical, null));
                }
                else
                {
                    var first = errors.Reported.Count > 0 ? errors.Reported[0] : null;
                    var message = string.Join("; ", errors.Reported.Select(e => e.Message));
                    rejected.Add(new RejectedChange(lineNumber, fields.Sku, first?.Field, StatusCodes.Status400BadRequest,
                        message.Length > 0 ? message : "the line is not a valid change"));
                }
            }
        }

        return (changes, rejected, lines);
    }

    private static string? OpOf(ReadOnlyMemory<byte> line, out (string? Field, string Message)? problem)
    {
        problem = null;
        try
        {
            using var document = JsonDocument.Parse(line);
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                problem = (null, "a change is a JSON object");
                return null;
            }

            if (!document.RootElement.TryGetProperty("op", out var op) || op.ValueKind != JsonValueKind.String)
            {
                problem = ("op", "'op' is required: \"upsert\", \"delete\" or \"adjust\"");
                return null;
            }

            var value = op.GetString();
            if (value is not ("upsert" or "delete" or "adjust"))
            {
                problem = ("op", $"unknown op '{value}': use \"upsert\", \"delete\" or \"adjust\"");
                return null;
            }

            return value;
        }
        catch (JsonException exception)
        {
            problem = (null, $"malformed JSON: {exception.Message}");
            return null;
        }
    }

    private static (ParsedChange? Change, RejectedChange? Refusal) ParseAdjust(DatasetDefinition dataset, ReadOnlyMemory<byte> line, long lineNumber)
    {
        using var document = JsonDocument.Parse(line);
        var root = document.RootElement;
        var sku = root.TryGetProperty("sku", out var skuElement) && skuElement.ValueKind == JsonValueKind.String ? skuElement.GetString() : null;
        RejectedChange Refuse(string? field, string message) => new(lineNumber, sku, field, StatusCodes.Status400BadRequest, message);

        if (dataset != DatasetDefinition.Stock)
        {
            return (null, Refuse("op", $"'adjust' applies to stock only; send an upsert to change {dataset.Name}"));
        }

        foreach (var property in root.EnumerateObject())
        {
            if (property.Name is not ("op" or "sku" or "delta"))
            {
                return (null, Refuse(property.Name, $"an adjust names only 'op', 'sku' and 'delta', not '{property.Name}'"));
            }
        }

        if (sku is null)
        {
            return (null, Refuse("sku", "'sku' is required and must be a string"));
        }

        if (RecordRules.SkuProblem(sku) is { } skuProblem)
        {
            return (null, Refuse("sku", skuProblem));
        }

        if (!root.TryGetProperty("delta", out var delta) || delta.ValueKind != JsonValueKind.Number || !delta.TryGetInt64(out var amount))
        {
            return (null, Refuse("delta", "'delta' is required and must be an integer"));
        }

        if (amount == 0)
        {
            return (null, Refuse("delta", "'delta' must not be 0"));
        }

        return (new ParsedChange(lineNumber, sku, LiveChangeOp.Adjust, null, amount), null);
    }

    private static bool IsBlank(ReadOnlySpan<byte> line)
    {
        foreach (var b in line)
        {
            if (b is not ((byte)' ' or (byte)'\t' or (byte)'\r'))
            {
                return false;
            }
        }

        return true;
    }
}
