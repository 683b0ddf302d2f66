using System.Net;
using System.Net.Http.Json;
using ControlPlane.Tests.Releases;
using ControlPlane.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace ControlPlane.Tests.Identity;

/// <summary>Every category logging at Trace into a capture, so nothing the application logs escapes the assertion.</summary>
public sealed class TraceLoggingFixture : ControlPlaneFixture
{
    public LogCapture Logs { get; } = new();

    protected override IEnumerable<KeyValuePair<string, string?>> Settings =>
    [
        new("Logging:LogLevel:Default", "Trace"),
        new("Logging:LogLevel:Microsoft.AspNetCore", "Trace"),
        new("Logging:LogLevel:Npgsql", "Trace"),

        // The capture sees everything; the console (the test run's output) stays as quiet as elsewhere.
        new("Logging:Console:LogLevel:Default", "None"),
        new("Logging:Debug:LogLevel:Default", "None"),
        new("Identity:Admin:Username", "root"),
        new("Identity:Admin:Password", TokenLoggingTests.AdminPassword),
    ];

    protected override void ConfigureServices(IServiceCollection services) => services.AddSingleton<ILoggerProvider>(Logs);
}

public sealed class TokenLoggingTests(TraceLoggingFixture fixture) : IClassFixture<TraceLoggingFixture>
{
    public const string AdminPassword = "first-admin-password-9c41";

    [Fact]
    public async Task Tokens_and_passwords_never_appear_in_the_logs_even_at_trace_level()
    {
        var client = fixture.Client;
        var created = await client.CreateTokenInfoAsync("logged-ops", "operator");
        using var ops = fixture.CreateClient(created.Token);
        var environment = await client.NewEnvironmentAsync("east");
        var release = await ops.CreateReleaseAsync(environment, await ops.ImportCatalogueAsync());
        var agent = await TestAgent.RegisterAsync(client, environment + "-a", environment, "east");
        await agent.DesiredAsync();
        using var wrong = fixture.CreateClient(created.Token + "tampered");
        using (var refused = await wrong.GetAsync($"/api/v1/releases/{release}"))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        }

        using var login = await fixture.CreateClient(null).PostAsJsonAsync("/api/v1/auth/login", new { username = "root", password = AdminPassword }, Http.Json);
        var session = await Http.ReadAsync<LoginDto>(login, HttpStatusCode.OK);
        using var badLogin = await fixture.CreateClient(null).PostAsJsonAsync("/api/v1/auth/login", new { username = "root", password = AdminPassword + "!" }, Http.Json);
        Assert.Equal(HttpStatusCode.Unauthorized, badLogin.StatusCode);
        using (var asSession = fixture.CreateClient(session.Token))
        {
            Assert.Equal("root", (await asSession.GetOkAsync<WhoAmIDto>("/api/v1/auth/me")).Name);
        }

        var logs = fixture.Logs.All;
        Assert.True(fixture.Logs.Lines.Count > 50, "the capture saw the requests' trace logs");
        Assert.Contains("/api/v1/releases", logs, StringComparison.Ordinal);
        foreach (var secret in new[] { created.Token, ControlPlaneFixture.AdminToken, session.Token, await agent.TokenAsync(), AdminPassword })
        {
            // Any 16-character run of a secret would be a leak.
            Assert.DoesNotContain(secret[^16..], logs, StringComparison.Ordinal);
            Assert.DoesNotContain(secret[..16], logs, StringComparison.Ordinal);
        }
    }

    private sealed record LoginDto(string Token, string Username, string Role, DateTimeOffset ExpiresAt);

    private sealed record WhoAmIDto(string Name, string Role, string? AgentId);
}
