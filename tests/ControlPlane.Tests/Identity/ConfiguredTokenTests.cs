using System.Net;
using ControlPlane.Tests.Support;

namespace ControlPlane.Tests.Identity;

/// <summary>Tokens from configuration are hashed at start, and revoked at the next start once removed from configuration.</summary>
public sealed class ConfiguredTokenTests
{
    private const string FirstToken = "first-bootstrap-token-abcdef";
    private const string SecondToken = "second-bootstrap-token-uvwxyz";

    [Fact]
    public async Task A_bootstrap_token_removed_from_configuration_is_revoked_at_the_next_start()
    {
        await using var database = await TestDatabase.CreateAsync();
        var time = new FixedTimeProvider(FixedTimeProvider.Default);

        await using (var first = new ControlPlaneFactory(Settings(database, FirstToken), time))
        {
            Assert.Equal(HttpStatusCode.OK, await StatusAsync(first, FirstToken));
        }

        await using var second = new ControlPlaneFactory(Settings(database, SecondToken), time);
        Assert.Equal(HttpStatusCode.OK, await StatusAsync(second, SecondToken));
        Assert.Equal(HttpStatusCode.Unauthorized, await StatusAsync(second, FirstToken));
        var rows = await database.PairsAsync("SELECT kind, coalesce(revoked_by, '') FROM api_tokens ORDER BY id");
        Assert.Equal([("configured", "configuration"), ("configured", "")], rows);
        Assert.DoesNotContain(await database.StringsAsync("SELECT t::text FROM api_tokens t"), r => r.Contains(FirstToken, StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_configured_agent_token_is_bound_to_its_agent_id()
    {
        await using var database = await TestDatabase.CreateAsync();
        var settings = Settings(database, FirstToken);
        settings["Identity:AgentTokens:0:AgentId"] = "edge-1";
        settings["Identity:AgentTokens:0:Token"] = "edge-1-agent-token-0123456789";
        await using var factory = new ControlPlaneFactory(settings, new FixedTimeProvider(FixedTimeProvider.Default));
        using var agent = factory.CreateClient();
        agent.DefaultRequestHeaders.Authorization = new("Bearer", "edge-1-agent-token-0123456789");

        using var own = await agent.GetAsync("/api/v1/agents/edge-1/desired?waitSeconds=0");
        using var other = await agent.GetAsync("/api/v1/agents/edge-2/desired?waitSeconds=0");
        using var reads = await agent.GetAsync("/api/v1/environments");

        Assert.Equal(HttpStatusCode.NotFound, own.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, other.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, reads.StatusCode);
    }

    [Theory]
    [InlineData("Identity:BootstrapAdminToken", "short")]
    [InlineData("Identity:AgentTokens:0:Token", "short")]
    [InlineData("Identity:Admin:Password", "short")]
    public async Task Weak_configured_secrets_stop_the_start(string key, string value)
    {
        await using var database = await TestDatabase.CreateAsync();
        var settings = Settings(database, FirstToken);
        settings[key] = value;
        settings["Identity:AgentTokens:0:AgentId"] = "edge-1";
        settings.TryAdd("Identity:AgentTokens:0:Token", "edge-1-agent-token-0123456789");
        settings["Identity:Admin:Username"] = "root";
        settings.TryAdd("Identity:Admin:Password", "long-enough-password");
        await using var factory = new ControlPlaneFactory(settings, new FixedTimeProvider(FixedTimeProvider.Default));

        var failure = Assert.ThrowsAny<Exception>(() => factory.CreateClient());

        Assert.Contains("Identity:", failure.ToString(), StringComparison.Ordinal);
    }

    private static Dictionary<string, string?> Settings(TestDatabase database, string adminToken) => new()
    {
        ["Database:ConnectionString"] = database.ConnectionString,
        ["Database:MigrateOnStart"] = "true",
        ["Identity:BootstrapAdminToken"] = adminToken,
    };

    private static async Task<HttpStatusCode> StatusAsync(ControlPlaneFactory factory, string token)
    {
        using var client = factory.CreateClient();
        client.DefaultRequestHeaders.Authorization = new("Bearer", token);
        using var response = await client.GetAsync("/api/v1/tokens");
        return response.StatusCode;
    }
}
