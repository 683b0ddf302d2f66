using System.Net;
using System.Net.Http.Json;
using ControlPlane.Tests.Support;

namespace ControlPlane.Tests.Releases;

/// <summary>Creating, reading and listing releases: immutable manifests {dataset -> version} of one environment.</summary>
public sealed class ReleaseTests(ControlPlaneFixture fixture) : IClassFixture<ControlPlaneFixture>
{
    private HttpClient Client => fixture.Client;

    [Fact]
    public async Task A_created_release_is_Pending_and_reads_back_as_created()
    {
        var environment = await Client.NewEnvironmentAsync("east");
        var versions = await Client.ImportCatalogueAsync();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/releases")
        {
            Content = JsonContent.Create(new { environment, versions, note = "spring sale" }, options: Http.Json),
        };
        request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", await Client.CreateTokenAsync("alice", "operator"));

        using var response = await Client.SendAsync(request);

        var created = await Http.ReadAsync<ReleaseViewDto>(response, HttpStatusCode.Created);
        Assert.Equal($"/api/v1/releases/{created.Release.Id}", response.Headers.Location?.OriginalString);
        Assert.Equal(("Pending", environment, "spring sale", "alice"), (created.State, created.Release.Environment, created.Release.Note, created.Release.CreatedBy));
        Assert.Equal(versions.OrderBy(v => v.Key), created.Release.Versions.OrderBy(v => v.Key));
        Assert.Equal(FixedTimeProvider.Default, created.Release.CreatedAt);
        Assert.Null(created.Publication);
        var read = await Client.ReleaseAsync(created.Release.Id);
        Assert.Equal(
            (created.Release.Id, created.Release.Environment, created.Release.Note, created.Release.CreatedAt, created.Release.CreatedBy),
            (read.Release.Id, read.Release.Environment, read.Release.Note, read.Release.CreatedAt, read.Release.CreatedBy));
        Assert.Equal(versions.OrderBy(v => v.Key), read.Release.Versions.OrderBy(v => v.Key));
        Assert.Equal("Pending", read.State);
        Assert.Null(read.Publication);
    }

    [Fact]
    public async Task A_release_of_an_unknown_environment_is_404()
    {
        var versions = await Client.ImportCatalogueAsync();

        using var response = await Client.PostReleaseAsync(new { environment = "no-such-environment", versions });

        await Problem.ReadAsync(response, HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task A_release_naming_an_unknown_dataset_or_a_missing_version_is_400_naming_each()
    {
        var environment = await Client.NewEnvironmentAsync("east");
        var versions = await Client.ImportCatalogueAsync();

        using var response = await Client.PostReleaseAsync(new
        {
            environment,
            versions = new Dictionary<string, int> { ["price"] = versions["price"] + 100, ["stock"] = versions["stock"], ["coupons"] = 1 },
        });

        var problem = await Problem.ReadAsync(response, HttpStatusCode.BadRequest);
        Assert.Equal(["versions.coupons", "versions.price"], problem.Errors.Select(e => e.Field).Order(StringComparer.Ordinal));
        Assert.Empty(await Client.GetOkAsync<List<ReleaseViewDto>>($"/api/v1/releases?environment={environment}"));
    }

    [Fact]
    public async Task A_release_without_environment_or_versions_is_400_naming_the_field()
    {
        var environment = await Client.NewEnvironmentAsync("east");

        using var noEnvironment = await Client.PostReleaseAsync(new { versions = new Dictionary<string, int> { ["price"] = 1 } });
        Assert.Equal("environment", Assert.Single((await Problem.ReadAsync(noEnvironment, HttpStatusCode.BadRequest)).Errors).Field);
        using var noVersions = await Client.PostReleaseAsync(new { environment, versions = new Dictionary<string, int>() });
        Assert.Equal("versions", Assert.Single((await Problem.ReadAsync(noVersions, HttpStatusCode.BadRequest)).Errors).Field);
    }

    [Fact]
    public async Task Unknown_release_is_404()
    {
        using var response = await Client.GetAsync("/api/v1/releases/987654321");
        await Problem.ReadAsync(response, HttpStatusCode.NotFound);
        using var publish = await Client.PostPublishAsync(987654321);
        await Problem.ReadAsync(publish, HttpStatusCode.NotFound);
        using var publication = await Client.GetAsync("/api/v1/publications/987654321");
        await Problem.ReadAsync(publication, HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task Releases_are_listed_newest_first_per_environment_with_their_state_and_paged_with_before()
    {
        var environment = await Client.NewEnvironmentAsync("east");
        var other = await Client.NewEnvironmentAsync("east");
        var versions = await Client.ImportCatalogueAsync();
        var ids = new List<long>();
        for (var i = 0; i < 3; i++)
        {
            ids.Add(await Client.CreateReleaseAsync(environment, versions));
        }

        var foreign = await Client.CreateReleaseAsync(other, versions);
        var published = await Client.PublishAsync(ids[1]);

        var list = await Client.GetOkAsync<List<ReleaseViewDto>>($"/api/v1/releases?environment={environment}");
        Assert.Equal([ids[2], ids[1], ids[0]], list.Select(r => r.Release.Id));
        Assert.Equal(["Pending", published.State, "Pending"], list.Select(r => r.State));
        Assert.Equal(published.Id, list[1].Publication?.Id);
        Assert.Equal([ids[0]], (await Client.GetOkAsync<List<ReleaseViewDto>>($"/api/v1/releases?environment={environment}&before={ids[1]}")).Select(r => r.Release.Id));
        Assert.Equal([ids[2]], (await Client.GetOkAsync<List<ReleaseViewDto>>($"/api/v1/releases?environment={environment}&limit=1")).Select(r => r.Release.Id));
        Assert.Contains(foreign, (await Client.GetOkAsync<List<ReleaseViewDto>>("/api/v1/releases")).Select(r => r.Release.Id));
        foreach (var limit in new[] { 0, 201 })
        {
            using var response = await Client.GetAsync($"/api/v1/releases?limit={limit}");
            Assert.Equal("limit", Assert.Single((await Problem.ReadAsync(response, HttpStatusCode.BadRequest)).Errors).Field);
        }
    }
}
