using System.Net;
using System.Net.Http.Json;
using ControlPlane.Tests.Releases;
using ControlPlane.Tests.Support;

namespace ControlPlane.Tests.Identity;

/// <summary>The first admin from configuration, more users through the API, and logins giving short-lived tokens.</summary>
public sealed class ConfiguredAdminFixture : ControlPlaneFixture
{
    public ManualTimeProvider Clock { get; } = new(FixedTimeProvider.Default);

    public override TimeProvider Time => Clock;

    protected override IEnumerable<KeyValuePair<string, string?>> Settings =>
    [
        new("Identity:Admin:Username", "first-admin"),
        new("Identity:Admin:Password", UserTests.AdminPassword),
        new("Identity:SessionLifetime", "01:00:00"),
    ];
}

public sealed class UserTests(ConfiguredAdminFixture fixture) : IClassFixture<ConfiguredAdminFixture>
{
    public const string AdminPassword = "configured-admin-password-1";

    private HttpClient Admin => fixture.Client;

    [Fact]
    public async Task The_configured_admin_logs_in_and_the_token_acts_as_that_user_until_the_session_ends()
    {
        var session = await LoginAsync("first-admin", AdminPassword);
        using var client = fixture.CreateClient(session.Token);

        var me = await client.GetOkAsync<WhoAmI>("/api/v1/auth/me");
        var environment = await client.NewEnvironmentAsync("east");

        Assert.Equal(("first-admin", "admin"), (me.Name, me.Role));
        Assert.Equal(fixture.Clock.GetUtcNow().AddHours(1), session.ExpiresAt);
        Assert.Contains((await Admin.AuditAsync($"environment={environment}")).Items, e => e.Actor == "first-admin" && e.Kind == "environment.create");
        fixture.Clock.Advance(TimeSpan.FromHours(1));
        using var expired = await client.GetAsync("/api/v1/auth/me");
        await Problem.ReadAsync(expired, HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task A_wrong_password_or_unknown_user_is_401_problem_and_makes_no_token()
    {
        var before = await fixture.Database.ScalarAsync<long>("SELECT count(*) FROM api_tokens");
        using var anonymous = fixture.CreateClient(null);

        using var wrong = await anonymous.PostAsJsonAsync("/api/v1/auth/login", new { username = "first-admin", password = AdminPassword + "x" }, Http.Json);
        using var unknown = await anonymous.PostAsJsonAsync("/api/v1/auth/login", new { username = "nobody", password = AdminPassword }, Http.Json);

        var wrongProblem = await Problem.ReadAsync(wrong, HttpStatusCode.Unauthorized);
        var unknownProblem = await Problem.ReadAsync(unknown, HttpStatusCode.Unauthorized);
        Assert.Equal(wrongProblem.Detail, unknownProblem.Detail);
        Assert.Equal(before, await fixture.Database.ScalarAsync<long>("SELECT count(*) FROM api_tokens"));
    }

    [Fact]
    public async Task An_admin_creates_users_whose_password_is_stored_as_a_PBKDF2_hash()
    {
        using var created = await Admin.PostAsJsonAsync("/api/v1/users", new { username = "dora", password = "dora-password-123", role = "approver" }, Http.Json);
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        using var again = await Admin.PostAsJsonAsync("/api/v1/users", new { username = "dora", password = "another-password-1", role = "admin" }, Http.Json);
        await Problem.ReadAsync(again, HttpStatusCode.Conflict);

        var session = await LoginAsync("dora", "dora-password-123");
        var hash = (await fixture.Database.StringsAsync("SELECT password_hash FROM users WHERE username = 'dora'")).Single();

        Assert.Equal("approver", session.Role);
        Assert.StartsWith("pbkdf2-sha256$", hash, StringComparison.Ordinal);
        Assert.DoesNotContain("dora-password-123", hash, StringComparison.Ordinal);
        Assert.DoesNotContain("dora-password-123", await Admin.GetStringAsync("/api/v1/users"), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("""{"username":"x y","password":"long-enough-pass","role":"viewer"}""", "username")]
    [InlineData("""{"username":"eve","password":"short","role":"viewer"}""", "password")]
    [InlineData("""{"username":"eve","password":"long-enough-pass","role":"agent"}""", "role")]
    [InlineData("""{"username":"eve","password":"long-enough-pass","role":"root"}""", "role")]
    public async Task A_malformed_user_is_400_naming_the_field(string body, string field)
    {
        using var response = await Admin.PostAsync("/api/v1/users", new StringContent(body, System.Text.Encoding.UTF8, "application/json"));

        Assert.Equal(field, Assert.Single((await Problem.ReadAsync(response, HttpStatusCode.BadRequest)).Errors).Field);
    }

    private async Task<LoginDto> LoginAsync(string username, string password)
    {
        using var anonymous = fixture.CreateClient(null);
        using var response = await anonymous.PostAsJsonAsync("/api/v1/auth/login", new { username, password }, Http.Json);
        return await Http.ReadAsync<LoginDto>(response, HttpStatusCode.OK);
    }

    private sealed record LoginDto(string Token, string Username, string Role, DateTimeOffset ExpiresAt);

    private sealed record WhoAmI(string Name, string Role, string? AgentId);
}
