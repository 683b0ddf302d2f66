using ControlPlane.Contracts;

namespace ControlPlane.Client;

public sealed partial class ControlPlaneClient
{
    /// <summary>GET /api/v1/environments.</summary>
    public async Task<IReadOnlyList<EnvironmentSummary>> ListEnvironmentsAsync(CancellationToken cancellationToken = default) =>
        (await SendAsync<List<EnvironmentSummary>>(Request(HttpMethod.Get, "api/v1/environments"), cancellationToken)).Body;

    /// <summary>POST /api/v1/environments: creates the environment and adds missing groups (existing ones stay).</summary>
    public async Task<EnvironmentView> CreateEnvironmentAsync(CreateEnvironmentRequest request, CancellationToken cancellationToken = default) =>
        (await SendAsync<EnvironmentView>(Request(HttpMethod.Post, "api/v1/environments", Json(request)), cancellationToken)).Body;

    /// <summary>GET /api/v1/environments/{name}: live release, hot releases, publication in flight, every agent.</summary>
    public async Task<EnvironmentView> GetEnvironmentAsync(string name, CancellationToken cancellationToken = default) =>
        (await SendAsync<EnvironmentView>(Request(HttpMethod.Get, $"api/v1/environments/{Segment(name)}"), cancellationToken)).Body;

    /// <summary>
    /// POST /api/v1/environments/{name}/rollback: makes the previously live release (or <paramref name="toRelease"/>)
    /// live again; returns the publication it started (kind "rollback").
    /// </summary>
    public Task<PublicationInfo> RollbackAsync(string environment, long? toRelease = null, CancellationToken cancellationToken = default) =>
        RollbackAsync(environment, toRelease, null, cancellationToken);

    /// <summary>POST /api/v1/environments/{name}/rollback with the reason recorded in the audit log.</summary>
    public async Task<PublicationInfo> RollbackAsync(string environment, long? toRelease, string? reason, CancellationToken cancellationToken = default)
    {
        var content = toRelease is null && reason is null ? null : Json(new { toRelease, reason });
        return (await SendAsync<PublicationInfo>(Request(HttpMethod.Post, $"api/v1/environments/{Segment(environment)}/rollback", content), cancellationToken)).Body;
    }

    /// <summary>GET /api/v1/agents: every agent, or those of one environment.</summary>
    public async Task<IReadOnlyList<AgentView>> ListAgentsAsync(string? environment = null, CancellationToken cancellationToken = default) =>
        (await SendAsync<List<AgentView>>(Request(HttpMethod.Get, Query("api/v1/agents", ("environment", environment))), cancellationToken)).Body;

    /// <summary>DELETE /api/v1/agents/{id}: forgets an agent (it may register again).</summary>
    public Task RemoveAgentAsync(string id, CancellationToken cancellationToken = default) =>
        SendAsync(Request(HttpMethod.Delete, $"api/v1/agents/{Segment(id)}"), cancellationToken);

    // The agents' own protocol (src/Contracts/AgentProtocol.cs), for tools and tests that act as an agent; the
    // client's token must then be an agent token.

    /// <summary>POST /api/v1/agents/register.</summary>
    public async Task<AgentRegistered> RegisterAgentAsync(AgentRegistration registration, CancellationToken cancellationToken = default) =>
        (await SendAsync<AgentRegistered>(Request(HttpMethod.Post, "api/v1/agents/register", Json(registration)), cancellationToken)).Body;

    /// <summary>POST /api/v1/agents/{id}/report.</summary>
    public Task ReportAgentAsync(string agentId, AgentReport report, CancellationToken cancellationToken = default) =>
        SendAsync(Request(HttpMethod.Post, $"api/v1/agents/{Segment(agentId)}/report", Json(report)), cancellationToken);

    /// <summary>GET /api/v1/agents/{id}/desired: long poll, answered when the state differs from <paramref name="known"/>.</summary>
    public async Task<DesiredState> GetDesiredStateAsync(
        string agentId, string? known = null, int? waitSeconds = null, CancellationToken cancellationToken = default) =>
        (await SendAsync<DesiredState>(Request(HttpMethod.Get,
            Query($"api/v1/agents/{Segment(agentId)}/desired", ("known", known), ("waitSeconds", waitSeconds))), cancellationToken)).Body;

    /// <summary>GET /health/ready: true when the control plane and its PostgreSQL answer.</summary>
    public async Task<bool> IsReadyAsync(CancellationToken cancellationToken = default)
    {
        using var request = Request(HttpMethod.Get, "health/ready");
        using var response = await http.SendAsync(request, cancellationToken);
        return response.IsSuccessStatusCode;
    }
}
