using System.Net;
using System.Net.Http.Json;
using ControlPlane.Tests.Releases;
using ControlPlane.Tests.Support;

namespace ControlPlane.Tests.Environments;

/// <summary>prod with groups east and west, and staging with blue, declared in configuration.</summary>
public sealed class DeclaredEnvironmentsFixture : ControlPlaneFixture
{
    protected override IEnumerable<KeyValuePair<string, string?>> Settings =>
    [
        new("Environments:Declared:prod:0", "east"),
        new("Environments:Declared:prod:1", "west"),
        new("Environments:Declared:staging:0", "blue"),
    ];
}

/// <summary>Environments and their agent groups: declared in configuration or created through the API, and the view of one.</summary>
public sealed class EnvironmentTests(DeclaredEnvironmentsFixture fixture) : IClassFixture<DeclaredEnvironmentsFixture>
{
    private HttpClient Client => fixture.Client;

    [Fact]
    public async Task Declared_environments_and_their_groups_exist_once_the_control_plane_has_started()
    {
        var list = await Client.GetOkAsync<List<EnvironmentSummaryDto>>("/api/v1/environments");

        Assert.Equal(["east", "west"], list.Single(e => e.Name == "prod").Groups);
        Assert.Equal(["blue"], list.Single(e => e.Name == "staging").Groups);
        var prod = await Client.EnvironmentAsync("prod");
        Assert.Equal(["east", "west"], prod.Groups.Select(g => g.Name));
        Assert.All(prod.Groups, g => Assert.Empty(g.Agents));
        Assert.Equal(0, prod.Generation);
        Assert.Null(prod.LiveRelease);
        Assert.Null(prod.InFlight);
        Assert.Empty(prod.HotReleases);
    }

    [Fact]
    public async Task Post_creates_an_environment_and_posting_again_adds_missing_groups()
    {
        using var response = await Client.PostAsJsonAsync("/api/v1/environments", new { name = "qa-1", groups = (string[])["west", "east"] }, Http.Json);

        var created = await Http.ReadAsync<EnvironmentDto>(response, HttpStatusCode.Created);
        Assert.Equal("/api/v1/environments/qa-1", response.Headers.Location?.OriginalString);
        Assert.Equal("qa-1", created.Name);
        Assert.Equal(["east", "west"], created.Groups.Select(g => g.Name));

        using var again = await Client.PostAsJsonAsync("/api/v1/environments", new { name = "qa-1", groups = (string[])["north"] }, Http.Json);
        await Http.ReadAsync<EnvironmentDto>(again, HttpStatusCode.Created);
        Assert.Equal(["east", "north", "west"], (await Client.EnvironmentAsync("qa-1")).Groups.Select(g => g.Name));
    }

    [Theory]
    [InlineData("""{"groups":["east"]}""", "name")]
    [InlineData("""{"name":"","groups":["east"]}""", "name")]
    [InlineData("""{"name":"Prod"}""", "name")]
    [InlineData("""{"name":"-prod"}""", "name")]
    [InlineData("""{"name":"pr od"}""", "name")]
    [InlineData("""{"name":"ok","groups":["east","East"]}""", "groups")]
    [InlineData("""{"name":"ok","groups":[""]}""", "groups")]
    public async Task A_bad_name_is_400_naming_the_field(string body, string field)
    {
        using var response = await Client.PostAsync("/api/v1/environments", new StringContent(body, System.Text.Encoding.UTF8, "application/json"));

        var problem = await Problem.ReadAsync(response, HttpStatusCode.BadRequest);
        Assert.Equal(field, Assert.Single(problem.Errors).Field);
        using var ok = await Client.GetAsync("/api/v1/environments/ok");
        await Problem.ReadAsync(ok, HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task An_unknown_environment_is_404()
    {
        using var response = await Client.GetAsync("/api/v1/environments/no-such-environment");

        var problem = await Problem.ReadAsync(response, HttpStatusCode.NotFound);
        Assert.Contains("no-such-environment", problem.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_view_shows_groups_with_their_agents_the_live_release_the_hot_ones_and_the_publication_in_flight()
    {
        var environment = await Client.NewEnvironmentAsync("east", "west");
        var a = await TestAgent.RegisterAsync(Client, environment + "-a", environment, "east");
        var b = await TestAgent.RegisterAsync(Client, environment + "-b", environment, "west");
        var releases = new List<long>();
        for (var i = 1; i <= 3; i++)
        {
            releases.Add(await Client.CreateReleaseAsync(environment, await Client.ImportCatalogueAsync(seed: i)));
        }

        await Client.MakeLiveAsync(releases[0], [a, b]);
        var secondLive = await Client.MakeLiveAsync(releases[1], [a, b]);
        var inFlight = await Client.PublishAsync(releases[2]);
        await a.StagingAsync(releases[2], 1, staged: 5, total: 20);

        var view = await Client.EnvironmentAsync(environment);

        Assert.Equal(environment, view.Name);
        Assert.Equal(secondLive.Generation, view.Generation);
        Assert.Equal(releases[1], view.LiveRelease?.Id);
        Assert.Equal(secondLive.LiveAt, view.LiveSince);
        Assert.Equal([releases[0]], view.HotReleases);
        Assert.Equal((inFlight.Id, releases[2], "Staging"), (view.InFlight?.Id, view.InFlight?.ReleaseId, view.InFlight?.State));
        Assert.Equal((5L, 20L), (view.InFlight!.Agent(a.Id).RecordsStaged, view.InFlight.Agent(a.Id).RecordsTotal));
        Assert.Null(view.Partial);
        Assert.Equal(["east", "west"], view.Groups.Select(g => g.Name));
        var agentA = Assert.Single(view.Groups[0].Agents);
        var agentB = Assert.Single(view.Groups[1].Agents);
        Assert.Equal((a.Id, "east", "staging", releases[1], secondLive.Generation!.Value), (agentA.Id, agentA.Group, agentA.Status, agentA.LiveReleaseId, agentA.LiveGeneration));
        Assert.Equal([releases[1], releases[0]], agentA.HeldReleases);
        Assert.Equal(releases[2], agentA.Staging?.ReleaseId);
        Assert.Equal((b.Id, "west", "ok"), (agentB.Id, agentB.Group, agentB.Status));
        Assert.Equal(0, agentA.LagSeconds);
    }
}
