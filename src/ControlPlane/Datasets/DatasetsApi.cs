using System.Globalization;
using ControlPlane.Identity;
using ControlPlane.Infrastructure;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;

namespace ControlPlane.Datasets;

public sealed record DatasetSummary(string Name, string Description, IReadOnlyList<string> Fields, VersionInfo? Latest);

public static class DatasetsApi
{
    public const int MaxPageSize = 1000;

    public static RouteGroupBuilder MapDatasetsApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/v1/datasets").WithTags("Datasets");
        group.MapGet("/", ListDatasets).RequireAuthorization(Policies.Viewer);
        group.MapPost("/{dataset}/versions", Import)
            .RequireAuthorization(Policies.Operator)
            .Accepts<string>(RecordReader.NdjsonContentType, RecordReader.CsvContentType)
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge, ProblemResponses.ContentType)
            .WithSummary("Import a full snapshot (mode=full) or a change set (mode=delta&base=N) as a new version.");
        group.MapGet("/{dataset}/versions", ListVersions).RequireAuthorization(Policies.Viewer);
        group.MapGet("/{dataset}/versions/{version:int}", GetVersion).RequireAuthorization(Policies.Viewer);
        group.MapGet("/{dataset}/versions/{version:int}/records", ListRecords).RequireAuthorization(Policies.Viewer);
        group.MapGet("/{dataset}/versions/{version:int}/records/{sku}", GetRecord).RequireAuthorization(Policies.Viewer);
        group.MapGet("/{dataset}/diff", Diff).RequireAuthorization(Policies.Viewer);
        group.MapChangesApi().RequireAuthorization(Policies.ViewerOrAgent);
        return group;
    }

    private static async Task<Ok<IReadOnlyList<DatasetSummary>>> ListDatasets(VersionQueries queries, CancellationToken cancellationToken)
    {
        var latest = await queries.LatestOfEachAsync(cancellationToken);
        return TypedResults.Ok<IReadOnlyList<DatasetSummary>>(
            [.. latest.Select(l => new DatasetSummary(l.Dataset.Name, l.Dataset.Description, [.. l.Dataset.Fields.Keys], l.Latest))]);
    }

    private static async Task<Results<Created<VersionInfo>, Ok<VersionInfo>, ProblemHttpResult>> Import(
        string dataset,
        HttpContext context,
        ImportService imports,
        Audit.AuditLog audit,
        IOptions<ImportOptions> options,
        string? mode,
        [Microsoft.AspNetCore.Mvc.FromQuery(Name = "base")] string? baseVersion,
        string? rebase,
        string? allowEmpty,
        string? note,
        CancellationToken cancellationToken)
    {
        if (DatasetDefinition.Find(dataset) is not { } definition)
        {
            return UnknownDataset(dataset);
        }

        var importMode = (mode ?? "full").ToLowerInvariant() switch
        {
            "full" => ImportMode.Full,
            "delta" => (ImportMode?)ImportMode.Delta,
            _ => null,
        };
        if (importMode is null)
        {
            return Problems.BadParameter("mode", $"mode must be 'full' or 'delta', not '{mode}'.");
        }

        int? parsedBase = null;
        if (baseVersion is not null)
        {
            if (!int.TryParse(baseVersion, NumberStyles.None, CultureInfo.InvariantCulture, out var value) || value < 1)
            {
                return Problems.BadParameter("base", $"base must be a version number (1 or more), not '{baseVersion}'.");
            }

            parsedBase = value;
        }

        if (!TryParseFlag(rebase, out var rebaseFlag))
        {
            return Problems.BadParameter("rebase", "rebase must be true or false.");
        }

        if (!TryParseFlag(allowEmpty, out var allowEmptyFlag))
        {
            return Problems.BadParameter("allowEmpty", "allowEmpty must be true or false.");
        }

        if (Governance.FreeText.Problem("note", note, required: false) is { } badNote)
        {
            return badNote;
        }

        var limit = options.Value.MaxBodyBytes;
        if (context.Request.ContentLength > limit)
        {
            return Problems.Of(StatusCodes.Status413PayloadTooLarge, "Request body too large",
                $"The body of {context.Request.ContentLength} bytes is larger than the limit of {limit} bytes.");
        }

        // The limit is enforced while streaming (below), which also covers chunked bodies without a length.
        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } sizeFeature)
        {
            sizeFeature.MaxRequestBodySize = null;
        }

        var request = new ImportRequest(definition, importMode.Value, parsedBase, rebaseFlag, allowEmptyFlag, Actor(context), note)
        {
            ExpectedBytes = context.Request.ContentLength,
        };
        var body = new LimitedReadStream(context.Request.Body, limit);
        var outcome = await imports.ImportAsync(request, body, context.Request.ContentType, cancellationToken);
        if (outcome is ImportOutcome.Created made)
        {
            // After the import's own transaction; the version is immutable, so the entry describes it exactly.
            await audit.AppendAsync(new Audit.AuditEntry(made.Version.CreatedBy, Audit.AuditKinds.Import, null,
                $"{definition.Name}:{made.Version.Version}", note, null, made.Version with { Warnings = [] }), CancellationToken.None);
        }

        return outcome switch
        {
            ImportOutcome.Created created => TypedResults.Created(
                $"/api/v1/datasets/{definition.Name}/versions/{created.Version.Version}", created.Version),
            ImportOutcome.Unchanged unchanged => TypedResults.Ok(unchanged.Version),
            ImportOutcome.Invalid invalid => Problems.Of(StatusCodes.Status400BadRequest, "Invalid import", invalid.Detail,
                new Dictionary<string, object?>
                {
                    ["errors"] = invalid.Errors.Reported.Select(e => new { line = e.Line, field = e.Field, message = e.Message }).ToList(),
                    ["errorCount"] = invalid.Errors.Count,
                }),
            ImportOutcome.NotFound notFound => Problems.NotFound(notFound.Detail),
            ImportOutcome.Conflict conflict => Problems.Conflict(conflict.Detail),
            ImportOutcome.UnsupportedMediaType unsupported => Problems.Of(StatusCodes.Status415UnsupportedMediaType, "Unsupported media type", unsupported.Detail),
            _ => throw new InvalidOperationException("Unknown import outcome."),
        };
    }

    private static async Task<Results<Ok<VersionPage>, ProblemHttpResult>> ListVersions(
        string dataset, VersionQueries queries, int? before, int? limit, CancellationToken cancellationToken)
    {
        if (DatasetDefinition.Find(dataset) is not { } definition)
        {
            return UnknownDataset(dataset);
        }

        if (PageSizeProblem(limit) is { } problem)
        {
            return problem;
        }

        return TypedResults.Ok(await queries.ListAsync(definition, before, limit ?? 50, cancellationToken));
    }

    private static async Task<Results<Ok<VersionInfo>, ProblemHttpResult>> GetVersion(
        string dataset, int version, VersionQueries queries, CancellationToken cancellationToken)
    {
        if (DatasetDefinition.Find(dataset) is not { } definition)
        {
            return UnknownDataset(dataset);
        }

        return await queries.GetAsync(definition, version, cancellationToken) is { } info
            ? TypedResults.Ok(info)
            : UnknownVersion(definition, version);
    }

    private static async Task<Results<Ok<RecordPage>, ProblemHttpResult>> ListRecords(
        string dataset, int version, VersionQueries queries, string? after, int? limit, CancellationToken cancellationToken)
    {
        if (DatasetDefinition.Find(dataset) is not { } definition)
        {
            return UnknownDataset(dataset);
        }

        if (PageSizeProblem(limit) is { } problem)
        {
            return problem;
        }

        if (await queries.GetAsync(definition, version, cancellationToken) is null)
        {
            return UnknownVersion(definition, version);
        }

        return TypedResults.Ok(await queries.RecordsAsync(definition, version, after, limit ?? 100, cancellationToken));
    }

    private static async Task<Results<Ok<RecordItem>, ProblemHttpResult>> GetRecord(
        string dataset, int version, string sku, HttpContext context, VersionQueries queries, CancellationToken cancellationToken)
    {
        sku = SkuFromRawTarget(context) ?? sku;
        if (DatasetDefinition.Find(dataset) is not { } definition)
        {
            return UnknownDataset(dataset);
        }

        if (await queries.GetAsync(definition, version, cancellationToken) is null)
        {
            return UnknownVersion(definition, version);
        }

        return await queries.RecordAsync(definition, version, sku, cancellationToken) is { } data
            ? TypedResults.Ok(new RecordItem(sku, data))
            : Problems.NotFound($"SKU '{sku}' is not in version {version} of '{definition.Name}'.");
    }

    private static async Task<Results<Ok<DiffPage>, ProblemHttpResult>> Diff(
        string dataset, VersionQueries queries, int? from, int? to, string? change, string? after, int? limit, CancellationToken cancellationToken)
    {
        if (DatasetDefinition.Find(dataset) is not { } definition)
        {
            return UnknownDataset(dataset);
        }

        if (from is null || to is null)
        {
            return Problems.BadParameter(from is null ? "from" : "to", "diff needs both from=A and to=B.");
        }

        if (PageSizeProblem(limit) is { } problem)
        {
            return problem;
        }

        DiffChange? only = null;
        if (change is not null)
        {
            if (!Enum.TryParse<DiffChange>(change, ignoreCase: true, out var parsed) || !Enum.IsDefined(parsed))
            {
                return Problems.BadParameter("change", "change must be added, changed or removed.");
            }

            only = parsed;
        }

        foreach (var version in new[] { from.Value, to.Value })
        {
            if (await queries.GetAsync(definition, version, cancellationToken) is null)
            {
                return UnknownVersion(definition, version);
            }
        }

        return TypedResults.Ok(await queries.DiffAsync(definition, from.Value, to.Value, only, after, limit ?? 100, cancellationToken));
    }

    /// <summary>
    /// The SKU as the client encoded it. Servers decode the path before routing except for %2F, so the route value
    /// of a SKU holding '/' still reads "%2F", and cannot be told from a SKU that really holds "%2F" (sent as
    /// "%252F"). The raw request target keeps the client's encoding; null where the server does not provide it.
    /// </summary>
    internal static string? SkuFromRawTarget(HttpContext context)
    {
        var raw = context.Features.Get<IHttpRequestFeature>()?.RawTarget;
        if (string.IsNullOrEmpty(raw))
        {
            return null;
        }

        // A trailing slash is tolerated by routing; a SKU's own '/' is always encoded, so it cannot end the path.
        var path = raw.Split('?', 2)[0].TrimEnd('/');
        return Uri.UnescapeDataString(path[(path.LastIndexOf('/') + 1)..]);
    }

    /// <summary>The authenticated identity making the request (Identity/Actor.cs); the X-Actor header is no longer read.</summary>
    internal static string Actor(HttpContext context) => Identity.Actor.Of(context);

    private static bool TryParseFlag(string? value, out bool flag)
    {
        flag = false;
        return value is null || bool.TryParse(value, out flag);
    }

    private static ProblemHttpResult? PageSizeProblem(int? limit) =>
        limit is < 1 or > MaxPageSize ? Problems.BadParameter("limit", $"limit must be between 1 and {MaxPageSize}.") : null;

    private static ProblemHttpResult UnknownDataset(string dataset) => Problems.NotFound(
        $"There is no dataset '{dataset}'. Datasets: {string.Join(", ", DatasetDefinition.All.Select(d => d.Name))}.");

    private static ProblemHttpResult UnknownVersion(DatasetDefinition dataset, int version) =>
        Problems.NotFound($"Dataset '{dataset.Name}' has no version {version}.");
}
