namespace ControlPlane.Client;

public sealed partial class ControlPlaneClient
{
    /// <summary>GET /api/v1/tiers/{dataset}: where each version lives (warm, cold), its size there and what keeps it warm.</summary>
    public async Task<DatasetTiers> GetDatasetTiersAsync(string dataset, int? before = null, int? limit = null, CancellationToken cancellationToken = default) =>
        (await SendAsync<DatasetTiers>(Request(HttpMethod.Get,
            Query($"api/v1/tiers/{Segment(dataset)}", ("before", before), ("limit", limit))), cancellationToken)).Body;
}
