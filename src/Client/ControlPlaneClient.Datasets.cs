using System.Net;
using System.Net.Http.Headers;

namespace ControlPlane.Client;

public sealed partial class ControlPlaneClient
{
    /// <summary>GET /api/v1/datasets: every dataset with its fields and latest version.</summary>
    public async Task<IReadOnlyList<DatasetSummary>> ListDatasetsAsync(CancellationToken cancellationToken = default) =>
        (await SendAsync<List<DatasetSummary>>(Request(HttpMethod.Get, "api/v1/datasets"), cancellationToken)).Body;

    /// <summary>
    /// POST /api/v1/datasets/{dataset}/versions: imports <paramref name="body"/> (NDJSON or CSV, see
    /// <see cref="ImportContentTypes"/>) as a full snapshot or a change set. The stream is sent as it is read, never
    /// buffered whole. A body equal to the latest version creates nothing and returns that version.
    /// </summary>
    public async Task<ImportResult> ImportAsync(
        string dataset, Stream body, string contentType, ImportParameters? parameters = null, CancellationToken cancellationToken = default)
    {
        parameters ??= new ImportParameters();
        var path = Query($"api/v1/datasets/{Segment(dataset)}/versions",
            ("mode", parameters.Mode == ImportMode.Delta ? "delta" : "full"),
            ("base", parameters.Base),
            ("rebase", parameters.Rebase),
            ("allowEmpty", parameters.AllowEmpty),
            ("note", parameters.Note));
        var content = new StreamContent(body);
        content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        if (body.CanSeek)
        {
            content.Headers.ContentLength = body.Length - body.Position;
        }

        var (version, status) = await SendAsync<VersionInfo>(Request(HttpMethod.Post, path, content), cancellationToken);
        return new ImportResult(version, status == HttpStatusCode.Created);
    }

    /// <summary>GET /api/v1/datasets/{dataset}/versions: newest first, <paramref name="limit"/> at a time, before a version.</summary>
    public async Task<VersionPage> ListVersionsAsync(string dataset, int? before = null, int? limit = null, CancellationToken cancellationToken = default) =>
        (await SendAsync<VersionPage>(Request(HttpMethod.Get,
            Query($"api/v1/datasets/{Segment(dataset)}/versions", ("before", before), ("limit", limit))), cancellationToken)).Body;

    /// <summary>GET /api/v1/datasets/{dataset}/versions/{version}.</summary>
    public async Task<VersionInfo> GetVersionAsync(string dataset, int version, CancellationToken cancellationToken = default) =>
        (await SendAsync<VersionInfo>(Request(HttpMethod.Get, $"api/v1/datasets/{Segment(dataset)}/versions/{version}"), cancellationToken)).Body;

    /// <summary>The newest version of a dataset, or null when it has none.</summary>
    public async Task<VersionInfo?> LatestVersionAsync(string dataset, CancellationToken cancellationToken = default) =>
        (await ListVersionsAsync(dataset, limit: 1, cancellationToken: cancellationToken)).Items is [var latest, ..] ? latest : null;

    /// <summary>GET /api/v1/datasets/{dataset}/versions/{version}/records: sorted by SKU, after a SKU.</summary>
    public async Task<RecordPage> ListRecordsAsync(
        string dataset, int version, string? after = null, int? limit = null, CancellationToken cancellationToken = default) =>
        (await SendAsync<RecordPage>(Request(HttpMethod.Get,
            Query($"api/v1/datasets/{Segment(dataset)}/versions/{version}/records", ("after", after), ("limit", limit))), cancellationToken)).Body;

    /// <summary>GET /api/v1/datasets/{dataset}/versions/{version}/records/{sku}; any SKU, '/' and '%' included.</summary>
    public async Task<RecordItem> GetRecordAsync(string dataset, int version, string sku, CancellationToken cancellationToken = default) =>
        (await SendAsync<RecordItem>(Request(HttpMethod.Get,
            $"api/v1/datasets/{Segment(dataset)}/versions/{version}/records/{Segment(sku)}"), cancellationToken)).Body;

    /// <summary>GET /api/v1/datasets/{dataset}/diff: counts of the whole difference and one page of items.</summary>
    public async Task<DiffPage> DiffAsync(
        string dataset, int from, int to, DiffChange? change = null, string? after = null, int? limit = null, CancellationToken cancellationToken = default) =>
        (await SendAsync<DiffPage>(Request(HttpMethod.Get,
            Query($"api/v1/datasets/{Segment(dataset)}/diff",
                ("from", from), ("to", to), ("change", change?.ToString().ToLowerInvariant()), ("after", after), ("limit", limit))),
            cancellationToken)).Body;
}
