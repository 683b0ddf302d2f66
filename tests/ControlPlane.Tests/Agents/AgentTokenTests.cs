using System.Net;
using System.Net.Http.Json;
using ControlPlane.Contracts;
using ControlPlane.Tests.Releases;
using ControlPlane.Tests.Support;

namespace ControlPlane.Tests.Agents;

public sealed class AgentTokenFixture : ControlPlaneFixture
{
    public const string Token = "agent-token-7f3c";

    protected override IEnumerable<KeyValuePair<string, string?>> Settings => [new("Agents:Token", Token)];
}

/// <summary>With Agents:Token set, the agent endpoints want it as a bearer token.</summary>
public sealed class AgentTokenTests(AgentTokenFixture fixture) : IClassFixture<AgentTokenFixture>
{
    private HttpClient Client => fixture.Client;

    public static TheoryData<string?> WrongAuthorizations => new()
    {
        null,
        "Bearer wrong-token",
        "Bearer " + AgentTokenFixture.Token + "x",
        "Bearer ",
        "Basic " + AgentTokenFixture.Token,
        AgentTokenFixture.Token,
    };

    [Theory]
    [MemberData(nameof(WrongAuthorizations))]
    public async Task Every_agent_endpoint_is_401_problem_without_the_right_token(string? authorization)
    {
        var environment = await Client.NewEnvironmentAsync("east");
        var id = environment + "-a";
        using (var registered = await SendAsync(HttpMethod.Post, "/api/v1/agents/register", Right, new AgentRegistration(id, environment, "east")))
        {
            Assert.Equal(HttpStatusCode.OK, registered.StatusCode);
        }

        var requests = new (HttpMethod Method, string Url, object? Body)[]
        {
            (HttpMethod.Post, "/api/v1/agents/register", new AgentRegistration(id, environment, "east")),
            (HttpMethod.Post, $"/api/v1/agents/{id}/report", new AgentReport(DateTimeOffset.UtcNow, null, 0, [], null, null)),
            (HttpMethod.Get, $"/api/v1/agents/{id}/desired?waitSeconds=0", null),
        };
        foreach (var (method, url, body) in requests)
        {
            using var response = await SendAsync(method, url, authorization, body);
            var problem = await Problem.ReadAsync(response, HttpStatusCode.Unauthorized);
            Assert.Contains("token", problem.Detail, StringComparison.OrdinalIgnoreCase);
        }

        // Nothing the refused report said was recorded.
        Assert.Null((await Client.AgentAsync(environment, id)).LastError);
    }

    [Fact]
    public async Task The_right_token_lets_an_agent_register_report_and_read_its_desired_state()
    {
        var environment = await Client.NewEnvironmentAsync("east");
        var id = environment + "-a";

        using var registered = await SendAsync(HttpMethod.Post, "/api/v1/agents/register", Right, new AgentRegistration(id, environment, "east"));
        Assert.Equal(id, (await Http.ReadAsync<AgentRegistered>(registered, HttpStatusCode.OK)).AgentId);
        using var reported = await SendAsync(HttpMethod.Post, $"/api/v1/agents/{id}/report", Right,
            new AgentReport(DateTimeOffset.UtcNow, null, 0, [], null, "warming up"));
        Assert.Equal(HttpStatusCode.NoContent, reported.StatusCode);
        using var desired = await SendAsync(HttpMethod.Get, $"/api/v1/agents/{id}/desired?waitSeconds=0", Right, null);
        Assert.Equal(environment, (await Http.ReadAsync<DesiredState>(desired, HttpStatusCode.OK)).Environment);
        Assert.Equal("warming up", (await Client.AgentAsync(environment, id)).LastError);
    }

    private const string Right = "Bearer " + AgentTokenFixture.Token;

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

        return await Client.SendAsync(request);
    }
}
