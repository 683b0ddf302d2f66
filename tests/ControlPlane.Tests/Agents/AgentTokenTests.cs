using System.Net;
using System.Net.Http.Json;
using ControlPlane.Contracts;
using ControlPlane.Tests.Releases;
using ControlPlane.Tests.Support;

namespace ControlPlane.Tests.Agents;

/// <summary>The agent endpoints want an agent token bound to the agent's own id, and agent tokens open nothing else.</summary>
public sealed class AgentTokenTests(ControlPlaneFixture fixture) : IClassFixture<ControlPlaneFixture>
{
    private HttpClient? _anonymous;

    private HttpClient Client => fixture.Client;

    /// <summary>A client without a default token: each request brings its own Authorization.</summary>
    private HttpClient Anonymous => _anonymous ??= fixture.CreateClient(null);

    public static TheoryData<string?> WrongAuthorizations => new()
    {
        null,
        "Bearer wrong-token",
        "Bearer cp_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        "Bearer ",
        "Basic dXNlcjpwYXNz",
        "cp_not-even-a-scheme",
    };

    [Theory]
    [MemberData(nameof(WrongAuthorizations))]
    public async Task Every_agent_endpoint_is_401_problem_with_WWW_Authenticate_without_a_valid_token(string? authorization)
    {
        var (environment, id, token) = await RegisteredAgentAsync();

        foreach (var (method, url, body) in Requests(environment, id))
        {
            using var response = await SendAsync(method, url, authorization, body);
            var problem = await Problem.ReadAsync(response, HttpStatusCode.Unauthorized);
            Assert.Contains("token", problem.Detail, StringComparison.OrdinalIgnoreCase);
            Assert.StartsWith("Bearer", response.Headers.WwwAuthenticate.ToString(), StringComparison.Ordinal);
        }

        // Nothing the refused report said was recorded.
        Assert.Null((await Client.AgentAsync(environment, id)).LastError);
        Assert.NotNull(token);
    }

    [Fact]
    public async Task An_agent_token_is_403_for_another_agents_registration_report_and_desired_state()
    {
        var (environment, id, _) = await RegisteredAgentAsync();
        var intruder = await Client.CreateTokenAsync(environment + "-other", "agent", agentId: environment + "-other");

        foreach (var (method, url, body) in Requests(environment, id))
        {
            using var response = await SendAsync(method, url, "Bearer " + intruder, body);
            await Problem.ReadAsync(response, HttpStatusCode.Forbidden);
        }

        Assert.Null((await Client.AgentAsync(environment, id)).LastError);
    }

    [Fact]
    public async Task People_tokens_even_admin_are_403_on_the_agent_endpoints()
    {
        var (environment, id, _) = await RegisteredAgentAsync();
        var operatorToken = await Client.CreateTokenAsync("ops", "operator");

        foreach (var authorization in new[] { "Bearer " + ControlPlaneFixture.AdminToken, "Bearer " + operatorToken })
        {
            foreach (var (method, url, body) in Requests(environment, id))
            {
                using var response = await SendAsync(method, url, authorization, body);
                await Problem.ReadAsync(response, HttpStatusCode.Forbidden);
            }
        }
    }

    [Fact]
    public async Task An_agent_token_is_403_on_every_read_and_admin_endpoint()
    {
        var (environment, id, token) = await RegisteredAgentAsync();
        var requests = new (HttpMethod Method, string Url, object? Body)[]
        {
            (HttpMethod.Get, "/api/v1/agents", null),
            (HttpMethod.Delete, $"/api/v1/agents/{id}", null),
            (HttpMethod.Get, "/api/v1/environments", null),
            (HttpMethod.Get, $"/api/v1/environments/{environment}", null),
            (HttpMethod.Post, "/api/v1/environments", new { name = "agent-made", groups = new[] { "east" } }),
            (HttpMethod.Post, $"/api/v1/environments/{environment}/rollback", null),
            (HttpMethod.Get, "/api/v1/releases", null),
            (HttpMethod.Post, "/api/v1/releases", new { environment, versions = new Dictionary<string, int> { ["price"] = 1 } }),
            (HttpMethod.Post, "/api/v1/releases/1/publish", null),
            (HttpMethod.Get, "/api/v1/datasets", null),
            (HttpMethod.Get, "/api/v1/tokens", null),
            (HttpMethod.Post, "/api/v1/tokens", new { name = "escalated", role = "admin" }),
            (HttpMethod.Get, "/api/v1/users", null),
            (HttpMethod.Get, "/api/v1/audit", null),
        };

        foreach (var (method, url, body) in requests)
        {
            using var response = await SendAsync(method, url, "Bearer " + token, body);
            Assert.True(response.StatusCode == HttpStatusCode.Forbidden, $"{method} {url} answered {(int)response.StatusCode}");
            await Problem.ReadAsync(response, HttpStatusCode.Forbidden);
        }

        Assert.Equal("ok", (await Client.AgentAsync(environment, id)).Status);
    }

    [Fact]
    public async Task The_agents_own_token_lets_it_register_report_read_its_desired_state_and_fetch_data()
    {
        var environment = await Client.NewEnvironmentAsync("east");
        var id = environment + "-a";
        var token = "Bearer " + await Client.CreateTokenAsync(id, "agent", agentId: id);
        var version = (await Client.ImportCatalogueAsync())["price"];

        using var registered = await SendAsync(HttpMethod.Post, "/api/v1/agents/register", token, new AgentRegistration(id, environment, "east"));
        Assert.Equal(id, (await Http.ReadAsync<AgentRegistered>(registered, HttpStatusCode.OK)).AgentId);
        using var reported = await SendAsync(HttpMethod.Post, $"/api/v1/agents/{id}/report", token,
            new AgentReport(DateTimeOffset.UtcNow, null, 0, [], null, "warming up"));
        Assert.Equal(HttpStatusCode.NoContent, reported.StatusCode);
        using var desired = await SendAsync(HttpMethod.Get, $"/api/v1/agents/{id}/desired?waitSeconds=0", token, null);
        Assert.Equal(environment, (await Http.ReadAsync<DesiredState>(desired, HttpStatusCode.OK)).Environment);
        using var changes = await SendAsync(HttpMethod.Get, $"/api/v1/datasets/price/versions/{version}/changes?limit=10", token, null);
        Assert.Equal(HttpStatusCode.OK, changes.StatusCode);
        Assert.Equal("warming up", (await Client.AgentAsync(environment, id)).LastError);
    }

    private static (HttpMethod Method, string Url, object? Body)[] Requests(string environment, string id) =>
    [
        (HttpMethod.Post, "/api/v1/agents/register", new AgentRegistration(id, environment, "east")),
        (HttpMethod.Post, $"/api/v1/agents/{id}/report", new AgentReport(DateTimeOffset.UtcNow, null, 0, [], null, "refused report")),
        (HttpMethod.Get, $"/api/v1/agents/{id}/desired?waitSeconds=0", null),
    ];

    private async Task<(string Environment, string Id, string Token)> RegisteredAgentAsync()
    {
        var environment = await Client.NewEnvironmentAsync("east");
        var agent = await TestAgent.RegisterAsync(Client, environment + "-a", environment, "east");
        return (environment, agent.Id, await agent.TokenAsync());
    }

    private async Task<HttpResponseMessage> SendAsync(HttpMethod method, string url, string? authorization, object? body)
    {
        using var request = new HttpRequestMessage(method, url);
        if (body is not null)
        {
            request.Content = JsonContent.Create(body, body.GetType(), options: Http.Json);
        }

        if (authorization is not null)
        {
            request.Headers.TryAddWithoutValidation("Authorization", authorization);
        }

        return await Anonymous.SendAsync(request);
    }
}
