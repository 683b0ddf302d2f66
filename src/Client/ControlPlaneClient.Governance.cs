namespace ControlPlane.Client;

public sealed partial class ControlPlaneClient
{
    /// <summary>GET /api/v1/releases/{id}/approvals: approvals given and needed, and the warnings to acknowledge.</summary>
    public async Task<ApprovalState> GetApprovalsAsync(long releaseId, CancellationToken cancellationToken = default) =>
        (await SendAsync<ApprovalState>(Request(HttpMethod.Get, $"api/v1/releases/{releaseId}/approvals"), cancellationToken)).Body;

    /// <summary>POST /api/v1/releases/{id}/approvals (approver, admin): approve, acknowledging warnings by id.</summary>
    public async Task<ApprovalState> ApproveAsync(long releaseId, ApproveRequest request, CancellationToken cancellationToken = default) =>
        (await SendAsync<ApprovalState>(Request(HttpMethod.Post, $"api/v1/releases/{releaseId}/approvals", Json(request)), cancellationToken)).Body;

    /// <summary>GET /api/v1/environments/{name}/pins: active pins; while any is there nothing new goes live.</summary>
    public async Task<IReadOnlyList<PinInfo>> ListPinsAsync(string environment, CancellationToken cancellationToken = default) =>
        (await SendAsync<List<PinInfo>>(Request(HttpMethod.Get, $"api/v1/environments/{Segment(environment)}/pins"), cancellationToken)).Body;
}
