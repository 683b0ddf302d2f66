using System.Net;
using System.Net.Http.Json;
using ControlPlane.Tests.Releases;
using ControlPlane.Tests.Support;

namespace ControlPlane.Tests.Identity;

/// <summary>SQL and header injection attempts on the string inputs of identity and governance: refused, or stored as plain text.</summary>
public sealed class InjectionTests(ControlPlaneFixture fixture) : IClassFixture<ControlPlaneFixture>
{
    private const string Sql = "x'); DELETE FROM audit; DROP TABLE api_tokens; --";

    private HttpClient Admin => fixture.Client;

    public static TheoryData<string> HostileText => new()
    {
        Sql,
        "\" OR 1=1 --",
        "Robert'); DROP TABLE releases;--",
        "%27%3B%20DROP%20TABLE%20pins%3B",
        "<script>alert(1)</script>",
        "line one\nline two",
    };

    [Theory]
    [MemberData(nameof(HostileText))]
    public async Task Reasons_comments_and_notes_are_stored_as_plain_text(string text)
    {
        var environment = await Admin.NewEnvironmentAsync("east");
        await Admin.PutPolicyAsync(environment, requiredApprovals: 1);
        using var ops = await fixture.ClientAsAsync("inj-ops", "operator");
        using var approver = await fixture.ClientAsAsync("inj-approver", "approver");
        using var created = await ops.PostReleaseAsync(new { environment, versions = await Admin.ImportCatalogueAsync(), note = text });
        var release = (await Http.ReadAsync<ReleaseViewDto>(created, HttpStatusCode.Created)).Release;

        var approval = await approver.ApproveAsync(release.Id, text);
        var pin = await Admin.PinAsync(environment, text);

        Assert.Equal(text, release.Note);
        Assert.Equal(text, approval.Approvals.Single().Comment);
        Assert.Equal(text, pin.Reason);
        Assert.Equal(text, (await Admin.AuditAsync($"environment={environment}&kind=environment.pin")).Items.Single().Reason);
        Assert.True(await fixture.Database.ScalarAsync<long>("SELECT count(*) FROM api_tokens") > 0);
        Assert.True(await fixture.Database.ScalarAsync<long>("SELECT count(*) FROM audit") > 0);
    }

    [Theory]
    [InlineData("actor")]
    [InlineData("environment")]
    [InlineData("kind")]
    public async Task Hostile_audit_filters_match_nothing_and_break_nothing(string parameter)
    {
        await Admin.NewEnvironmentAsync("east");
        var total = await fixture.Database.ScalarAsync<long>("SELECT count(*) FROM audit");

        var page = await Admin.AuditAsync($"{parameter}={Uri.EscapeDataString(Sql)}");

        Assert.Empty(page.Items);
        Assert.Equal(total, await fixture.Database.ScalarAsync<long>("SELECT count(*) FROM audit"));
    }

    [Fact]
    public async Task A_kind_filter_with_LIKE_wildcards_matches_only_literally()
    {
        await Admin.NewEnvironmentAsync("east");

        Assert.Empty((await Admin.AuditAsync("kind=%25")).Items);
        Assert.Empty((await Admin.AuditAsync("kind=_nvironment")).Items);
        Assert.NotEmpty((await Admin.AuditAsync("kind=environment")).Items);
    }

    [Theory]
    [InlineData("prod'; DROP TABLE pins; --")]
    [InlineData("..%2F..%2Fetc")]
    [InlineData("PROD")]
    public async Task Hostile_environment_names_in_governance_paths_are_404(string name)
    {
        var escaped = Uri.EscapeDataString(name);

        using var policy = await Admin.GetAsync($"/api/v1/environments/{escaped}/policy");
        using var pin = await Admin.PostAsJsonAsync($"/api/v1/environments/{escaped}/pin", new { reason = "hostile-path-probe" }, Http.Json);

        await Problem.ReadAsync(policy, HttpStatusCode.NotFound);
        await Problem.ReadAsync(pin, HttpStatusCode.NotFound);
        Assert.Equal(0, await fixture.Database.ScalarAsync<long>("SELECT count(*) FROM pins WHERE reason = 'hostile-path-probe'"));
    }

    [Theory]
    [InlineData("admin\r\nX-Injected: yes")]
    [InlineData("'; UPDATE api_tokens SET role = 'admin'; --")]
    [InlineData("someone-else")]
    public async Task An_X_Actor_header_never_becomes_the_actor(string actor)
    {
        using var viewer = await fixture.ClientAsAsync("plain-viewer", "viewer");
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/v1/auth/me");
        request.Headers.TryAddWithoutValidation("X-Actor", actor);

        using var response = await viewer.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("\"name\":\"plain-viewer\"", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.False(response.Headers.Contains("X-Injected"));
        Assert.Equal(0, await fixture.Database.ScalarAsync<long>("SELECT count(*) FROM api_tokens WHERE name = 'plain-viewer' AND role <> 'viewer'"));
    }

    [Theory]
    [InlineData("Bearer x'; DROP TABLE api_tokens; --")]
    [InlineData("Bearer \u007f")]
    [InlineData("Bearer a b c")]
    public async Task Hostile_authorization_headers_are_401(string authorization)
    {
        using var anonymous = fixture.CreateClient(null);
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/v1/datasets");
        request.Headers.TryAddWithoutValidation("Authorization", authorization);

        using var response = await anonymous.SendAsync(request);

        await Problem.ReadAsync(response, HttpStatusCode.Unauthorized);
        Assert.True(await fixture.Database.ScalarAsync<long>("SELECT count(*) FROM api_tokens") > 0);
    }

    [Fact]
    public async Task A_bearer_token_longer_than_512_characters_is_401_without_a_lookup()
    {
        using var anonymous = fixture.CreateClient("cp_" + new string('a', 10_000));

        using var response = await anonymous.GetAsync("/api/v1/datasets");

        Assert.Contains("too long", (await Problem.ReadAsync(response, HttpStatusCode.Unauthorized)).Detail, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("reason\u0007bell")]
    [InlineData("reason\u001b[31mred")]
    public async Task Control_characters_in_a_reason_are_400(string reason)
    {
        var environment = await Admin.NewEnvironmentAsync("east");

        using var pin = await Admin.PostAsJsonAsync($"/api/v1/environments/{environment}/pin", new { reason }, Http.Json);
        using var rollback = await Admin.PostAsJsonAsync($"/api/v1/environments/{environment}/rollback", new { reason }, Http.Json);

        Assert.Equal("reason", Assert.Single((await Problem.ReadAsync(pin, HttpStatusCode.BadRequest)).Errors).Field);
        Assert.Equal("reason", Assert.Single((await Problem.ReadAsync(rollback, HttpStatusCode.BadRequest)).Errors).Field);
    }

    [Fact]
    public async Task A_reason_longer_than_2000_characters_is_400()
    {
        var environment = await Admin.NewEnvironmentAsync("east");

        using var pin = await Admin.PostAsJsonAsync($"/api/v1/environments/{environment}/pin", new { reason = new string('r', 2001) }, Http.Json);

        Assert.Equal("reason", Assert.Single((await Problem.ReadAsync(pin, HttpStatusCode.BadRequest)).Errors).Field);
    }

    [Theory]
    [InlineData("admin' --")]
    [InlineData("a\r\nb")]
    [InlineData("")]
    public async Task Hostile_login_usernames_are_401_or_400_and_log_no_one_in(string username)
    {
        using var anonymous = fixture.CreateClient(null);

        using var response = await anonymous.PostAsJsonAsync("/api/v1/auth/login", new { username, password = "' OR '1'='1" }, Http.Json);

        Assert.True(response.StatusCode is HttpStatusCode.Unauthorized or HttpStatusCode.BadRequest, $"answered {(int)response.StatusCode}");
        Assert.Equal(0, await fixture.Database.ScalarAsync<long>("SELECT count(*) FROM api_tokens WHERE kind = 'session'"));
    }
}
