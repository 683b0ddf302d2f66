using System.Net;
using System.Net.Http.Json;
using ControlPlane.Tests.Releases;
using ControlPlane.Tests.Support;

namespace ControlPlane.Tests.Identity;

/// <summary>What each role may do, enforced on the server: refusals are 403 problems and change nothing.</summary>
public sealed class RoleTests(ControlPlaneFixture fixture) : IClassFixture<ControlPlaneFixture>
{
    private HttpClient Client => fixture.Client;

    [Fact]
    public async Task A_viewer_reads_everything_but_cannot_import_create_publish_or_roll_back()
    {
        var environment = await Client.NewEnvironmentAsync("east");
        var release = await Client.CreateReleaseAsync(environment, await Client.ImportCatalogueAsync());
        using var viewer = await fixture.ClientAsAsync("vera", "viewer");

        foreach (var url in new[] { "/api/v1/datasets", $"/api/v1/environments/{environment}", $"/api/v1/releases/{release}", "/api/v1/agents", "/api/v1/audit" })
        {
            using var read = await viewer.GetAsync(url);
            Assert.True(read.StatusCode == HttpStatusCode.OK, $"GET {url} answered {(int)read.StatusCode}");
        }

        var versionsBefore = (await Client.GetOkAsync<List<DatasetSummaryProbe>>("/api/v1/datasets")).Select(d => d.Latest?.Version).ToList();
        await AssertForbiddenAsync(viewer.PostAsync("/api/v1/datasets/price/versions", new StringContent("{\"sku\":\"A\",\"amount\":1,\"currency\":\"EUR\"}\n", System.Text.Encoding.UTF8, "application/x-ndjson")));
        await AssertForbiddenAsync(viewer.PostAsJsonAsync("/api/v1/releases", new { environment, versions = new { price = 1 } }, Http.Json));
        await AssertForbiddenAsync(viewer.PostAsync($"/api/v1/releases/{release}/publish", null));
        await AssertForbiddenAsync(viewer.PostAsync($"/api/v1/environments/{environment}/rollback", null));

        Assert.Equal(versionsBefore, (await Client.GetOkAsync<List<DatasetSummaryProbe>>("/api/v1/datasets")).Select(d => d.Latest?.Version).ToList());
        Assert.Equal("Pending", (await Client.ReleaseAsync(release)).State);
        Assert.Single(await Client.GetOkAsync<List<ReleaseViewDto>>($"/api/v1/releases?environment={environment}"));
    }

    [Fact]
    public async Task An_operator_imports_creates_and_publishes_but_cannot_administer()
    {
        var environment = await Client.NewEnvironmentAsync("east");
        using var ops = await fixture.ClientAsAsync("olga", "operator");

        var release = await ops.CreateReleaseAsync(environment, await ops.ImportCatalogueAsync(seed: 7));
        using (var published = await ops.PostAsync($"/api/v1/releases/{release}/publish", null))
        {
            Assert.Equal(HttpStatusCode.Accepted, published.StatusCode);
        }

        await AssertForbiddenAsync(ops.PostAsJsonAsync("/api/v1/environments", new { name = "ops-made", groups = (string[])["east"] }, Http.Json));
        await AssertForbiddenAsync(ops.PostAsJsonAsync("/api/v1/tokens", new { name = "olga", role = "admin" }, Http.Json));
        await AssertForbiddenAsync(ops.GetAsync("/api/v1/tokens"));
        await AssertForbiddenAsync(ops.PostAsJsonAsync("/api/v1/users", new { username = "olga2", password = "correct horse battery", role = "admin" }, Http.Json));
        await AssertForbiddenAsync(ops.DeleteAsync("/api/v1/agents/some-agent"));

        using var environments = await Client.GetAsync("/api/v1/environments/ops-made");
        Assert.Equal(HttpStatusCode.NotFound, environments.StatusCode);
    }

    [Fact]
    public async Task An_approver_reads_but_cannot_import_create_or_publish()
    {
        var environment = await Client.NewEnvironmentAsync("east");
        var release = await Client.CreateReleaseAsync(environment, await Client.ImportCatalogueAsync());
        using var approver = await fixture.ClientAsAsync("abe", "approver");

        Assert.Equal("Pending", (await approver.ReleaseAsync(release)).State);
        await AssertForbiddenAsync(approver.PostAsync($"/api/v1/releases/{release}/publish", null));
        await AssertForbiddenAsync(approver.PostAsJsonAsync("/api/v1/releases", new { environment, versions = new { price = 1 } }, Http.Json));
        Assert.Equal("Pending", (await Client.ReleaseAsync(release)).State);
    }

    [Fact]
    public async Task The_forbidden_answer_names_the_role_and_the_request()
    {
        using var viewer = await fixture.ClientAsAsync("vic", "viewer");

        using var response = await viewer.PostAsync("/api/v1/releases/42/publish", null);

        var problem = await Problem.ReadAsync(response, HttpStatusCode.Forbidden);
        Assert.Equal("The token's role 'viewer' may not POST /api/v1/releases/42/publish.", problem.Detail);
    }

    private static async Task AssertForbiddenAsync(Task<HttpResponseMessage> request)
    {
        using var response = await request;
        await Problem.ReadAsync(response, HttpStatusCode.Forbidden);
    }

    private sealed record DatasetSummaryProbe(string Name, VersionProbe? Latest);

    private sealed record VersionProbe(int Version);
}
