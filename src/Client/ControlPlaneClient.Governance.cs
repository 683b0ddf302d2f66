namespace ControlPlane.Client;

public sealed partial class ControlPlaneClient
{
    /// <summary>GET /api/v1/environments/{name}/policy.</summary>
    public async Task<EnvironmentPolicy> GetPolicyAsync(string environment, CancellationToken cancellationToken = default) =>
        (await SendAsync<EnvironmentPolicy>(Request(HttpMethod.Get, $"api/v1/environments/{Segment(environment)}/policy"), cancellationToken)).Body;

    /// <summary>PUT /api/v1/environments/{name}/policy (admin).</summary>
    public async Task<EnvironmentPolicy> PutPolicyAsync(string environment, PutPolicyRequest request, CancellationToken cancellationToken = default) =>
        (await SendAsync<EnvironmentPolicy>(Request(HttpMethod.Put, $"api/v1/environments/{Segment(environment)}/policy", Json(request)), cancellationToken)).Body;

    /// <summary>GET /api/v1/environments/{name}/pins: the active pins.</summary>
    public async Task<IReadOnlyList<PinInfo>> ListPinsAsync(string environment, CancellationToken cancellationToken = default) =>
        (await SendAsync<List<PinInfo>>(Request(HttpMethod.Get, $"api/v1/environments/{Segment(environment)}/pins"), cancellationToken)).Body;

    /// <summary>POST /api/v1/environments/{name}/pin (admin): publishes and rollbacks answer 409 until it is removed.</summary>
    public async Task<PinInfo> PinAsync(string environment, CreatePinRequest request, CancellationToken cancellationToken = default) =>
        (await SendAsync<PinInfo>(Request(HttpMethod.Post, $"api/v1/environments/{Segment(environment)}/pin", Json(request)), cancellationToken)).Body;

    /// <summary>DELETE /api/v1/environments/{name}/pin/{id} (admin).</summary>
    public async Task<PinInfo> UnpinAsync(string environment, long pinId, string? reason = null, CancellationToken cancellationToken = default) =>
        (await SendAsync<PinInfo>(Request(HttpMethod.Delete, Query($"api/v1/environments/{Segment(environment)}/pin/{pinId}", ("reason", reason))), cancellationToken)).Body;

    /// <summary>GET /api/v1/releases/{id}/approvals: approvals given and needed, warnings to acknowledge.</summary>
    public async Task<ApprovalState> GetApprovalsAsync(long releaseId, CancellationToken cancellationToken = default) =>
        (await SendAsync<ApprovalState>(Request(HttpMethod.Get, $"api/v1/releases/{releaseId}/approvals"), cancellationToken)).Body;

    /// <summary>POST /api/v1/releases/{id}/approvals (approver): approves, acknowledging warnings by their ids.</summary>
    public async Task<ApprovalState> ApproveAsync(long releaseId, ApproveRequest? request = null, CancellationToken cancellationToken = default) =>
        (await SendAsync<ApprovalState>(Request(HttpMethod.Post, $"api/v1/releases/{releaseId}/approvals", Json(request ?? new ApproveRequest())), cancellationToken)).Body;
}
