namespace ControlPlane.Client;

public sealed partial class ControlPlaneClient
{
    /// <summary>POST /api/v1/releases: a new release (state Pending) naming a version of each dataset.</summary>
    public async Task<ReleaseView> CreateReleaseAsync(CreateReleaseRequest request, CancellationToken cancellationToken = default) =>
        (await SendAsync<ReleaseView>(Request(HttpMethod.Post, "api/v1/releases", Json(request)), cancellationToken)).Body;

    /// <summary>GET /api/v1/releases: newest first, optionally of one environment, before a release id.</summary>
    public async Task<IReadOnlyList<ReleaseView>> ListReleasesAsync(
        string? environment = null, long? before = null, int? limit = null, CancellationToken cancellationToken = default) =>
        (await SendAsync<List<ReleaseView>>(Request(HttpMethod.Get,
            Query("api/v1/releases", ("environment", environment), ("before", before), ("limit", limit))), cancellationToken)).Body;

    /// <summary>GET /api/v1/releases/{id}: the release with the state and progress of its latest publication.</summary>
    public async Task<ReleaseView> GetReleaseAsync(long id, CancellationToken cancellationToken = default) =>
        (await SendAsync<ReleaseView>(Request(HttpMethod.Get, $"api/v1/releases/{id}"), cancellationToken)).Body;

    /// <summary>POST /api/v1/releases/{id}/publish: starts the publication (202); follow it with <see cref="GetPublicationAsync"/>.</summary>
    /// <remarks>A release waiting for approval is refused with 409 titled "Waiting for approval"; a pinned environment with 409 "Pinned".</remarks>
    public Task<PublicationInfo> PublishAsync(long releaseId, CancellationToken cancellationToken = default) =>
        PublishAsync(releaseId, null, cancellationToken);

    /// <summary>POST /api/v1/releases/{id}/publish with a body: a wave plan (waves or canaryPercent, holdSeconds), or an emergency publish and its reason.</summary>
    public async Task<PublicationInfo> PublishAsync(long releaseId, PublishRequest? request, CancellationToken cancellationToken = default) =>
        (await SendAsync<PublicationInfo>(Request(HttpMethod.Post, $"api/v1/releases/{releaseId}/publish", request is null ? null : Json(request)), cancellationToken)).Body;

    /// <summary>POST /api/v1/releases/{id}/promote: starts the next wave of a Holding publication (409 otherwise).</summary>
    public async Task<PublicationInfo> PromoteAsync(long releaseId, CancellationToken cancellationToken = default) =>
        (await SendAsync<PublicationInfo>(Request(HttpMethod.Post, $"api/v1/releases/{releaseId}/promote"), cancellationToken)).Body;

    /// <summary>POST /api/v1/releases/{id}/abort: waves already live go back to the release live before; the rest are cancelled.</summary>
    public async Task<PublicationInfo> AbortAsync(long releaseId, string? reason = null, CancellationToken cancellationToken = default) =>
        (await SendAsync<PublicationInfo>(Request(HttpMethod.Post, $"api/v1/releases/{releaseId}/abort", Json(new { reason })), cancellationToken)).Body;

    /// <summary>GET /api/v1/publications/{id}.</summary>
    public async Task<PublicationInfo> GetPublicationAsync(long id, CancellationToken cancellationToken = default) =>
        (await SendAsync<PublicationInfo>(Request(HttpMethod.Get, $"api/v1/publications/{id}"), cancellationToken)).Body;

    /// <summary>
    /// Polls the publication every <paramref name="interval"/> until it is no longer in flight (Live, Failed, Partial,
    /// ...) and returns that reading; <paramref name="onProgress"/> sees every reading. Cancel to stop waiting; the
    /// publication itself goes on.
    /// </summary>
    public async Task<PublicationInfo> WaitForPublicationAsync(
        long id, TimeSpan interval, Action<PublicationInfo>? onProgress = null, CancellationToken cancellationToken = default)
    {
        while (true)
        {
            var publication = await GetPublicationAsync(id, cancellationToken);
            onProgress?.Invoke(publication);
            if (!publication.IsInFlight)
            {
                return publication;
            }

            await Task.Delay(interval, cancellationToken);
        }
    }
}
