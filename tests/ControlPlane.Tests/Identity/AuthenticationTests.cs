using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using ControlPlane.Tests.Releases;
using ControlPlane.Tests.Support;

namespace ControlPlane.Tests.Identity;

/// <summary>Bearer tokens: who gets in, who is refused, and how the refusal reads.</summary>
public sealed class AuthenticationTests(ManualClockFixture fixture) : IClassFixture<ManualClockFixture>
{
    private HttpClient Client => fixture.Client;

    public static TheoryData<string, string> ProtectedEndpoints => new()
    {
        { "GET", "/api/v1/datasets" },
        { "GET", "/api/v1/environments" },
        { "GET", "/api/v1/releases" },
        { "GET", "/api/v1/agents" },
        { "GET", "/api/v1/audit" },
        { "GET", "/api/v1/tokens" },
        { "POST", "/api/v1/datasets/price/versions" },
        { "POST", "/api/v1/releases" },
        { "POST", "/api/v1/releases/1/publish" },
        { "POST", "/api/v1/environments/prod/rollback" },
    };

    [Theory]
    [MemberData(nameof(ProtectedEndpoints))]
    public async Task Without_a_token_every_API_endpoint_is_401_problem_with_WWW_Authenticate_Bearer(string method, string url)
    {
        using var anonymous = fixture.CreateClient(null);

        using var response = await anonymous.SendAsync(new HttpRequestMessage(new HttpMethod(method), url));

        var problem = await Problem.ReadAsync(response, HttpStatusCode.Unauthorized);
        Assert.Contains("Bearer", problem.Detail, StringComparison.Ordinal);
        Assert.Equal("Bearer", Assert.Single(response.Headers.WwwAuthenticate).Scheme);
    }

    [Fact]
    public async Task An_unknown_token_is_401_with_invalid_token_in_WWW_Authenticate()
    {
        using var stranger = fixture.CreateClient("cp_" + new string('x', 43));

        using var response = await stranger.GetAsync("/api/v1/datasets");

        var problem = await Problem.ReadAsync(response, HttpStatusCode.Unauthorized);
        Assert.Equal("The token is not known.", problem.Detail);
        Assert.Contains("error=\"invalid_token\"", response.Headers.WwwAuthenticate.ToString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("/health/live")]
    [InlineData("/health/ready")]
    [InlineData("/swagger/v1/swagger.json")]
    public async Task Health_and_the_OpenAPI_document_need_no_token(string url)
    {
        using var anonymous = fixture.CreateClient(null);

        using var response = await anonymous.GetAsync(url);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task The_OpenAPI_document_declares_the_bearer_scheme()
    {
        using var anonymous = fixture.CreateClient(null);

        var document = await anonymous.GetStringAsync("/swagger/v1/swagger.json");

        Assert.Contains("\"scheme\": \"bearer\"", document, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_token_stops_working_when_it_expires()
    {
        var expiresAt = fixture.Clock.GetUtcNow().AddHours(1);
        using var viewer = fixture.CreateClient(await Client.CreateTokenAsync("short-lived", "viewer", expiresAt: expiresAt));
        using (var before = await viewer.GetAsync("/api/v1/datasets"))
        {
            Assert.Equal(HttpStatusCode.OK, before.StatusCode);
        }

        fixture.Clock.Advance(TimeSpan.FromHours(1));

        using var after = await viewer.GetAsync("/api/v1/datasets");
        var problem = await Problem.ReadAsync(after, HttpStatusCode.Unauthorized);
        Assert.Contains("expired", problem.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_revoked_token_fails_from_the_next_request_and_revoking_is_audited()
    {
        var created = await Client.CreateTokenInfoAsync("to-revoke", "operator");
        using var holder = fixture.CreateClient(created.Token);
        using (var before = await holder.GetAsync("/api/v1/datasets"))
        {
            Assert.Equal(HttpStatusCode.OK, before.StatusCode);
        }

        using var revoked = await Client.DeleteAsync($"/api/v1/tokens/{created.Info.Id}?reason=left%20the%20team");
        var info = await Http.ReadAsync<TokenInfoDto>(revoked, HttpStatusCode.OK);
        Assert.Equal(ControlPlaneFixture.AdminName, info.RevokedBy);

        using var after = await holder.GetAsync("/api/v1/datasets");
        Assert.Contains("revoked", (await Problem.ReadAsync(after, HttpStatusCode.Unauthorized)).Detail, StringComparison.Ordinal);
        using var again = await Client.DeleteAsync($"/api/v1/tokens/{created.Info.Id}");
        await Problem.ReadAsync(again, HttpStatusCode.Conflict);
        var audit = await Client.GetOkAsync<AuditPageDto>($"/api/v1/audit?kind=token.revoke&actor={ControlPlaneFixture.AdminName}");
        Assert.Contains(audit.Items, e => e.Target == $"token:{created.Info.Id}" && e.Reason == "left the team");
    }

    [Fact]
    public async Task A_token_is_shown_once_listed_without_its_secret_and_stored_only_as_a_hash()
    {
        var created = await Client.CreateTokenInfoAsync("ci-pipeline", "operator", expiresAt: fixture.Clock.GetUtcNow().AddDays(30));

        Assert.StartsWith("cp_", created.Token, StringComparison.Ordinal);
        Assert.True(created.Token.Length >= 40, "a token carries 256 random bits");
        Assert.Equal(("ci-pipeline", "operator", ControlPlaneFixture.AdminName), (created.Info.Name, created.Info.Role, created.Info.CreatedBy));
        using var list = await Client.GetAsync("/api/v1/tokens");
        var listed = await list.Content.ReadAsStringAsync();
        Assert.Contains("ci-pipeline", listed, StringComparison.Ordinal);
        Assert.DoesNotContain(created.Token, listed, StringComparison.Ordinal);
        Assert.DoesNotContain(created.Token[12..], listed, StringComparison.Ordinal);
        var rows = await fixture.Database.StringsAsync("SELECT t::text FROM api_tokens t");
        Assert.DoesNotContain(rows, row => row.Contains(created.Token[12..], StringComparison.Ordinal));
        var hex = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(created.Token)));
        Assert.Contains(rows, row => row.Contains(hex, StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("""{"name":"x","role":"root"}""", "role")]
    [InlineData("""{"name":"has space","role":"viewer"}""", "name")]
    [InlineData("""{"name":"x'; DROP TABLE api_tokens;--","role":"viewer"}""", "name")]
    [InlineData("""{"role":"viewer"}""", "name")]
    [InlineData("""{"name":"a1","role":"agent"}""", "agentId")]
    [InlineData("""{"name":"a1","role":"viewer","agentId":"a1"}""", "agentId")]
    [InlineData("""{"name":"a1","role":"viewer","expiresAt":"2001-01-01T00:00:00Z"}""", "expiresAt")]
    [InlineData("""{"name":"a1","role":"viewer","expiresInDays":0}""", "expiresInDays")]
    public async Task A_malformed_token_request_is_400_naming_the_field_and_makes_no_token(string body, string field)
    {
        var before = await fixture.Database.ScalarAsync<long>("SELECT count(*) FROM api_tokens");

        using var response = await Client.PostAsync("/api/v1/tokens", new StringContent(body, System.Text.Encoding.UTF8, "application/json"));

        Assert.Equal(field, Assert.Single((await Problem.ReadAsync(response, HttpStatusCode.BadRequest)).Errors).Field);
        Assert.Equal(before, await fixture.Database.ScalarAsync<long>("SELECT count(*) FROM api_tokens"));
    }

    [Fact]
    public async Task Changes_are_recorded_under_the_tokens_name_not_an_X_Actor_header()
    {
        using var ci = await fixture.ClientAsAsync("ci", "operator");
        var environment = await Client.NewEnvironmentAsync("east");
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/releases")
        {
            Content = JsonContent.Create(new { environment, versions = await Client.ImportCatalogueAsync() }, options: Http.Json),
        };
        request.Headers.Add("X-Actor", "someone-else");

        using var response = await ci.SendAsync(request);

        Assert.Equal("ci", (await Http.ReadAsync<ReleaseViewDto>(response, HttpStatusCode.Created)).Release.CreatedBy);
    }

    [Fact]
    public async Task The_authorization_scheme_is_case_insensitive_but_other_schemes_are_401()
    {
        using var lower = new HttpRequestMessage(HttpMethod.Get, "/api/v1/datasets");
        lower.Headers.TryAddWithoutValidation("Authorization", "bearer " + ControlPlaneFixture.AdminToken);
        using var basic = new HttpRequestMessage(HttpMethod.Get, "/api/v1/datasets");
        basic.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String("admin:admin"u8.ToArray()));
        using var anonymous = fixture.CreateClient(null);

        using var lowerResponse = await anonymous.SendAsync(lower);
        using var basicResponse = await anonymous.SendAsync(basic);

        Assert.Equal(HttpStatusCode.OK, lowerResponse.StatusCode);
        await Problem.ReadAsync(basicResponse, HttpStatusCode.Unauthorized);
    }
}
