using System.Security.Cryptography;
using ControlPlane.Audit;
using ControlPlane.Datasets;
using ControlPlane.Identity;
using ControlPlane.Infrastructure;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;

namespace ControlPlane.LiveChanges;

/// <summary>
/// The live change stream of a dataset (README, "Live changes"): POST a batch, read the log, see its state, set the stock
/// policy and fold the log into a version on demand.
/// </summary>
public static class LiveChangesApi
{
    public const string IdempotencyKeyHeader = IdempotencyMiddleware.Header;
    public const int MaxIdempotencyKeyLength = IdempotencyMiddleware.MaxKeyLength;
    public const string AuditKindChanges = "dataset.changes";
    public const string AuditKindFold = "dataset.fold";
    public const string AuditKindPolicy = "dataset.change-policy";

    public static RouteGroupBuilder MapLiveChangesApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/v1/datasets/{dataset}/changes").WithTags("Live changes");
        group.MapPost("/", Post)
            .Accepts<string>(RecordReader.NdjsonContentType)
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge, ProblemResponses.ContentType)
            .WithSummary("Accept a batch of live changes (NDJSON upserts, deletes and, for stock, adjusts); answered line by line.")
            .WithMetadata(new HandlesIdempotencyKey())
            .RequireAuthorization(Policies.Operator);
        group.MapGet("/", List).RequireAuthorization(Policies.Viewer)
            .WithSummary("The change log in sequence order (audit); folded changes stay for Changes:KeepFoldedFor.");
        group.MapGet("/stream", Stream).RequireAuthorization(Policies.Viewer)
            .WithSummary("Last sequence number, policy, and what is not yet folded into a version.");
        group.MapPut("/policy", SetPolicy).RequireAuthorization(Policies.Admin).WithSummary("Set the dataset's change policy (allowOversell).");
        group.MapPost("/fold", Fold).RequireAuthorization(Policies.Operator)
            .WithSummary("Fold the changes not yet in a version into a new version (kind \"fold\").");
        return group;
    }

    private static async Task<Results<Ok<ChangeBatchAnswer>, ProblemHttpResult>> Post(
        string dataset, HttpContext context, ChangeBatchService service, IOptions<LiveChangesOptions> options, CancellationToken cancellationToken)
    {
        if (DatasetDefinition.Find(dataset) is not { } definition)
        {
            return Problems.NotFound($"There is no dataset '{dataset}'.");
        }

        var mediaType = context.Request.ContentType?.Split(';', 2)[0].Trim().ToLowerInvariant();
        if (mediaType is not (RecordReader.NdjsonContentType or "application/jsonl" or "application/jsonlines"))
        {
            return Problems.Of(StatusCodes.Status415UnsupportedMediaType, "Unsupported media type",
                $"Content-Type '{context.Request.ContentType}' is not supported; send {RecordReader.NdjsonContentType}.");
        }

        var keys = context.Request.Headers[IdempotencyKeyHeader];
        var key = keys.Count == 1 ? keys[0] ?? "" : "";
        if (keys.Count > 0 && (key.Length is 0 or > MaxIdempotencyKeyLength || key.Any(c => c is < '!' or > '~')))
        {
            return Problems.BadParameter(IdempotencyKeyHeader,
                $"{IdempotencyKeyHeader} is one value of 1 to {MaxIdempotencyKeyLength} printable ASCII characters without spaces.");
        }

        var limits = options.Value;
        byte[] body;
        try
        {
            using var buffer = new MemoryStream();
            await new LimitedReadStream(context.Request.Body, limits.MaxBatchBytes).CopyToAsync(buffer, cancellationToken);
            body = buffer.ToArray();
        }
        catch (RequestBodyTooLargeException)
        {
            return Problems.Of(StatusCodes.Status413PayloadTooLarge, "Request body too large",
                $"A change batch is at most {limits.MaxBatchBytes} bytes; send several batches.");
        }

        var (changes, refused, lines) = await ChangeBatchParser.ParseAsync(definition, body, cancellationToken);
        if (lines == 0)
        {
            return Problems.BadParameter("body", "The batch has no changes.");
        }

        if (lines > limits.MaxBatchLines)
        {
            return Problems.Of(StatusCodes.Status413PayloadTooLarge, "Batch too large",
                $"A change batch holds at most {limits.MaxBatchLines} lines, this one {lines}; nothing was stored.");
        }

        var outcome = await service.AcceptAsync(definition, changes, refused, lines, key.Length == 0 ? null : key,
            Convert.ToHexStringLower(SHA256.HashData(body)), DatasetsApi.Actor(context), cancellationToken);
        switch (outcome)
        {
            case ChangeBatchOutcome.KeyReused reused:
                return Problems.Conflict(reused.Detail);
            case ChangeBatchOutcome.Answered { Answer.Accepted: 0 } none:
                // Nothing was accepted: the batch as a whole failed, line by line.
                var status = none.Answer.RejectedLines.All(r => r.Status == StatusCodes.Status409Conflict)
                    ? StatusCodes.Status409Conflict
                    : StatusCodes.Status400BadRequest;
                return Problems.Of(status, "No change accepted", $"None of the {none.Answer.Lines} lines was accepted; nothing was stored.",
                    new Dictionary<string, object?>
                    {
                        ["errors"] = none.Answer.RejectedLines
                            .Select(r => new { line = r.Line, sku = r.Sku, field = r.Field, status = r.Status, message = r.Message }).ToList(),
                    });
            case ChangeBatchOutcome.Answered answered:
                if (answered.Answer.Replayed)
                {
                    context.Response.Headers[IdempotencyMiddleware.ReplayedHeader] = "true";
                }

                return TypedResults.Ok(answered.Answer);
            default:
                throw new InvalidOperationException("Unknown change batch outcome.");
        }
    }

    private static async Task<Results<Ok<ChangeLogPage>, ProblemHttpResult>> List(
        string dataset, long? after, string? sku, int? limit, ChangeLogQueries queries, CancellationToken cancellationToken)
    {
        if (DatasetDefinition.Find(dataset) is not { } definition)
        {
            return Problems.NotFound($"There is no dataset '{dataset}'.");
        }

        if (limit is < 1 or > DatasetsApi.MaxPageSize)
        {
            return Problems.BadParameter("limit", $"limit must be between 1 and {DatasetsApi.MaxPageSize}.");
        }

        return TypedResults.Ok(await queries.ListAsync(definition, after ?? 0, sku, limit ?? 100, cancellationToken));
    }

    private static async Task<Results<Ok<ChangeStreamView>, ProblemHttpResult>> Stream(
        string dataset, ChangeLogQueries queries, CancellationToken cancellationToken) =>
        DatasetDefinition.Find(dataset) is { } definition
            ? TypedResults.Ok(await queries.StreamAsync(definition, cancellationToken))
            : Problems.NotFound($"There is no dataset '{dataset}'.");

    private static async Task<Results<Ok<ChangeStreamView>, ProblemHttpResult>> SetPolicy(
        string dataset, ChangePolicy policy, HttpContext context, ChangeLogQueries queries, AuditLog audit, CancellationToken cancellationToken)
    {
        if (DatasetDefinition.Find(dataset) is not { } definition)
        {
            return Problems.NotFound($"There is no dataset '{dataset}'.");
        }

        var before = await queries.StreamAsync(definition, cancellationToken);
        await queries.SetPolicyAsync(definition, policy, cancellationToken);
        await audit.AppendAsync(new AuditEntry(DatasetsApi.Actor(context), AuditKindPolicy, Target: $"dataset:{definition.Name}",
            Before: new ChangePolicy(before.AllowOversell), After: policy), cancellationToken);
        return TypedResults.Ok(await queries.StreamAsync(definition, cancellationToken));
    }

    private static async Task<Results<Created<VersionInfo>, Ok<VersionInfo>, ProblemHttpResult>> Fold(
        string dataset, string? note, HttpContext context, ImportService imports, AuditLog audit, CancellationToken cancellationToken)
    {
        if (DatasetDefinition.Find(dataset) is not { } definition)
        {
            return Problems.NotFound($"There is no dataset '{dataset}'.");
        }

        var outcome = await imports.FoldAsync(definition, DatasetsApi.Actor(context), note ?? "fold on request", cancellationToken);
        if (outcome is ImportOutcome.Created made)
        {
            await audit.AppendAsync(new AuditEntry(made.Version.CreatedBy, AuditKindFold, Target: $"{definition.Name}:{made.Version.Version}",
                Reason: made.Version.Note, After: made.Version), cancellationToken);
        }

        return outcome switch
        {
            ImportOutcome.Created created => TypedResults.Created($"/api/v1/datasets/{definition.Name}/versions/{created.Version.Version}", created.Version),
            ImportOutcome.Unchanged unchanged => TypedResults.Ok(unchanged.Version),
            ImportOutcome.Conflict conflict => Problems.Conflict(conflict.Detail),
            ImportOutcome.NotFound notFound => Problems.NotFound(notFound.Detail),
            var other => Problems.Of(StatusCodes.Status500InternalServerError, "Fold failed", $"The fold of '{definition.Name}' came to {other.GetType().Name}."),
        };
    }
}
