using System.Net;
using System.Net.Http.Json;
using ControlPlane.Contracts;
using ControlPlane.Tests.Support;

namespace ControlPlane.Tests.Releases;

/// <summary>
/// An agent as the control plane sees one: it registers, reports its state and polls its desired state through the
/// HTTP protocol (src/Contracts/AgentProtocol.cs). What it reports it holds is what the test says it staged; its
/// reports are the protocol's boundary, so sending them from here stands in for nothing on the control plane's side.
/// It authenticates as agents do, with an agent token bound to its id, made on first use through the admin client.
/// </summary>
public sealed class TestAgent(Func<HttpClient> client, string id, string environment, string group)
{
    private readonly List<long> _held = [];
    private string? _token;

    public TestAgent(HttpClient client, string id, string environment, string group)
        : this(() => client, id, environment, group)
    {
    }

    public string Id => id;

    public long? LiveRelease { get; private set; }

    public long LiveGeneration { get; private set; }

    public string? LastError { get; set; }

    /// <summary>The clock offset the agent reports having measured (ms its clock is ahead); null reports none.</summary>
    public double? ClockOffsetMs { get; set; }

    /// <summary>Held releases, newest first.</summary>
    public IReadOnlyList<long> Held => _held;

    public static async Task<TestAgent> RegisterAsync(HttpClient client, string id, string environment, string group)
    {
        var agent = new TestAgent(client, id, environment, group);
        await agent.RegisterAsync();
        return agent;
    }

    public async Task<AgentRegistered> RegisterAsync()
    {
        using var response = await SendAsync(HttpMethod.Post, "/api/v1/agents/register", new AgentRegistration(id, environment, group));
        return await Http.ReadAsync<AgentRegistered>(response, HttpStatusCode.OK);
    }

    /// <summary>Reports the agent's state as it is, as its heartbeat does.</summary>
    public async Task ReportAsync(StagingProgress? staging = null)
    {
        var report = new AgentReport(
            DateTimeOffset.UtcNow, LiveRelease, LiveGeneration,
            [.. _held.Select(r => new HeldRelease(r, new Dictionary<string, int> { ["price"] = 1, ["stock"] = 1, ["product"] = 1 }))],
            staging, LastError, ClockOffsetMs: ClockOffsetMs);
        using var response = await SendAsync(HttpMethod.Post, $"/api/v1/agents/{id}/report", report);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.NoContent, $"Report of {id} answered {(int)response.StatusCode}: {body}");
    }

    /// <summary>Reports progress of staging a release: <paramref name="staged"/> of <paramref name="total"/> records of its price version.</summary>
    public Task StagingAsync(long releaseId, int priceVersion, long staged, long total) =>
        ReportAsync(new StagingProgress(releaseId, "price", priceVersion, staged, total, staged * 60));

    /// <summary>Reports every layer of the release staged and verified.</summary>
    public Task HoldAsync(long releaseId)
    {
        _held.Remove(releaseId);
        _held.Insert(0, releaseId);
        return ReportAsync();
    }

    /// <summary>Reports the release no longer held (evicted from Redis).</summary>
    public Task DropAsync(long releaseId)
    {
        _held.Remove(releaseId);
        return ReportAsync();
    }

    /// <summary>Reports the pointer switched to the release at that generation.</summary>
    public Task SwitchAsync(long releaseId, long generation)
    {
        (LiveRelease, LiveGeneration) = (releaseId, generation);
        return ReportAsync();
    }

    public async Task<DesiredState> DesiredAsync(string? known = null, int waitSeconds = 0)
    {
        var url = $"/api/v1/agents/{id}/desired?waitSeconds={waitSeconds}" + (known is null ? "" : "&known=" + Uri.EscapeDataString(known));
        using var response = await SendAsync(HttpMethod.Get, url, null);
        return await Http.ReadAsync<DesiredState>(response, HttpStatusCode.OK);
    }

    /// <summary>This agent's token (bound to its id), made through the admin client on first use.</summary>
    public async Task<string> TokenAsync() => _token ??= await client().CreateTokenAsync(id, "agent", agentId: id);

    private async Task<HttpResponseMessage> SendAsync(HttpMethod method, string url, object? body)
    {
        using var request = new HttpRequestMessage(method, url);
        if (body is not null)
        {
            request.Content = JsonContent.Create(body, body.GetType(), options: Http.Json);
        }

        request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", await TokenAsync());
        return await client().SendAsync(request);
    }
}
