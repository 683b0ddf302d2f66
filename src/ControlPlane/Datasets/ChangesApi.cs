using System.Buffers;
using System.Security.Cryptography;
using System.Text;
using ControlPlane.Infrastructure;
using Microsoft.AspNetCore.Http.HttpResults;

namespace ControlPlane.Datasets;

/// <summary>
/// GET /api/v1/datasets/{dataset}/versions/{version}/changes: the data agents stage, in chunks they pull at their
/// own pace (I4). Each chunk carries the SHA-256 of its bytes and the cursor of the next one, so a download can
/// be verified and resumed.
/// </summary>
public static class ChangesApi
{
    public const int DefaultChunk = 10_000;
    public const int MaxChunk = 50_000;

    public static RouteHandlerBuilder MapChangesApi(this RouteGroupBuilder datasets) =>
        datasets.MapGet("/{dataset}/versions/{version:int}/changes", Changes)
            .Produces(StatusCodes.Status200OK, contentType: RecordReader.NdjsonContentType)
            .WithSummary("Records to write to turn version `since` (or nothing) into this version, as checksummed NDJSON chunks.");

    private static async Task<Results<EmptyHttpResult, ProblemHttpResult>> Changes(
        string dataset, int version, int? since, string? after, int? limit, HttpContext context, VersionQueries queries,
        CancellationToken cancellationToken)
    {
        if (DatasetDefinition.Find(dataset) is not { } definition)
        {
            return Problems.NotFound($"There is no dataset '{dataset}'.");
        }

        if (limit is < 1 or > MaxChunk)
        {
            return Problems.BadParameter("limit", $"limit must be between 1 and {MaxChunk}.");
        }

        foreach (var v in since is { } s ? [version, s] : new[] { version })
        {
            if (await queries.GetAsync(definition, v, cancellationToken) is null)
            {
                return Problems.NotFound($"Dataset '{dataset}' has no version {v}.");
            }
        }

        var size = limit ?? DefaultChunk;
        var rows = await queries.ChangesAsync(definition, version, since, after, size, cancellationToken);
        var body = new ArrayBufferWriter<byte>(Math.Max(rows.Count * 100, 16));
        foreach (var (sku, data) in rows)
        {
            var line = new StringBuilder(128).Append("{\"sku\":");
            CanonicalJson.WriteString(line, sku);
            line.Append(data is null ? ",\"deleted\":true}\n" : ",\"data\":" + data + "}\n");
            Encoding.UTF8.GetBytes(line.ToString(), body);
        }

        var response = context.Response;
        response.ContentType = RecordReader.NdjsonContentType;
        response.Headers[ChunkHeaders.Sha256] = Convert.ToHexStringLower(SHA256.HashData(body.WrittenSpan));
        response.Headers[ChunkHeaders.Lines] = rows.Count.ToString(System.Globalization.CultureInfo.InvariantCulture);
        if (rows.Count == size)
        {
            response.Headers[ChunkHeaders.NextAfter] = Uri.EscapeDataString(rows[^1].Sku);
        }

        response.ContentLength = body.WrittenCount;
        await response.Body.WriteAsync(body.WrittenMemory, cancellationToken);
        return TypedResults.Empty;
    }
}
