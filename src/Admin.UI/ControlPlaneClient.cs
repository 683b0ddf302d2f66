using System.Net.Http.Json;

namespace Admin.UI;

public sealed record VersionSummary(string Dataset, int Version, long Records, string ContentHash, DateTimeOffset CreatedAt, string CreatedBy, string? Note);

public sealed record DatasetSummary(string Name, string Description, IReadOnlyList<string> Fields, VersionSummary? Latest);

/// <summary>The UI talks to the control plane only through its public HTTP API, as CI does.</summary>
public sealed class ControlPlaneClient(HttpClient http)
{
    public async Task<IReadOnlyList<DatasetSummary>> DatasetsAsync(CancellationToken cancellationToken) =>
        await http.GetFromJsonAsync<List<DatasetSummary>>("api/v1/datasets", cancellationToken) ?? [];
}
