using System.Net;
using ControlPlane.Contracts;
using ControlPlane.Tests.Support;

namespace ControlPlane.Tests.Releases;

/// <summary>POST /api/v1/environments/{env}/rollback: a publication of an earlier release, a pointer flip when it is still hot.</summary>
public sealed class RollbackTests(ManualClockFixture fixture) : IClassFixture<ManualClockFixture>
{
    private HttpClient Client => fixture.Client;

    [Fact]
    public async Task Rollback_without_a_body_makes_the_previously_live_release_live_again_without_staging()
    {
        var (environment, agents, releases) = await LiveHistoryAsync(2);
        var liveGeneration = (await Client.EnvironmentAsync(environment)).Generation;

        var rollback = await Client.RollbackAsync(environment);

        // Every agent still holds the previous release: straight to the switch.
        Assert.Equal(("rollback", releases[0], releases[1]), (rollback.Kind, rollback.ReleaseId, rollback.PreviousReleaseId));
        Assert.Equal(("Switching", liveGeneration + 1), (rollback.State, rollback.Generation));
        Assert.Equal(new SwitchOrder(releases[0], liveGeneration + 1), (await agents[0].DesiredAsync()).Live);
        foreach (var agent in agents)
        {
            await agent.SwitchAsync(releases[0], liveGeneration + 1);
        }

        Assert.Equal("Live", (await Client.ReleaseAsync(releases[0])).State);
        Assert.Equal("Superseded", (await Client.ReleaseAsync(releases[1])).State);
        Assert.Equal(releases[0], (await Client.EnvironmentAsync(environment)).LiveRelease?.Id);
    }

    [Fact]
    public async Task Rollback_to_a_release_the_agents_no_longer_hold_stages_it_again()
    {
        var (environment, agents, releases) = await LiveHistoryAsync(2);
        foreach (var agent in agents)
        {
            await agent.DropAsync(releases[0]);
        }

        var rollback = await Client.RollbackAsync(environment);

        Assert.Equal((releases[0], "Staging"), (rollback.ReleaseId, rollback.State));
        await Client.StageAndSwitchAsync(releases[0], agents);
        Assert.Equal(releases[0], (await Client.EnvironmentAsync(environment)).LiveRelease?.Id);
    }

    [Fact]
    public async Task Rollback_with_toRelease_makes_that_older_release_live()
    {
        var (environment, agents, releases) = await LiveHistoryAsync(3);

        var rollback = await Client.RollbackAsync(environment, releases[0]);

        Assert.Equal((releases[0], releases[2], "Switching"), (rollback.ReleaseId, rollback.PreviousReleaseId, rollback.State));
        foreach (var agent in agents)
        {
            await agent.SwitchAsync(releases[0], rollback.Generation!.Value);
        }

        Assert.Equal(releases[0], (await Client.EnvironmentAsync(environment)).LiveRelease?.Id);
    }

    [Fact]
    public async Task Rollback_to_a_release_of_another_environment_or_of_none_is_404()
    {
        var (environment, _, _) = await LiveHistoryAsync(2);
        var other = await Client.NewEnvironmentAsync("east");
        var foreign = await Client.CreateReleaseAsync(other, await Client.ImportCatalogueAsync());

        using var toForeign = await Client.PostRollbackAsync(environment, foreign);
        var problem = await Problem.ReadAsync(toForeign, HttpStatusCode.NotFound);
        Assert.Contains(foreign.ToString(System.Globalization.CultureInfo.InvariantCulture), problem.Detail, StringComparison.Ordinal);
        using var toNothing = await Client.PostRollbackAsync(environment, 987_654_321);
        await Problem.ReadAsync(toNothing, HttpStatusCode.NotFound);
        using var unknownEnvironment = await Client.PostRollbackAsync("no-such-environment");
        await Problem.ReadAsync(unknownEnvironment, HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task Rollback_with_nothing_to_roll_back_to_is_409()
    {
        var (environment, agents, _) = await LiveHistoryAsync(0);
        using var nothingLive = await Client.PostRollbackAsync(environment);
        await Problem.ReadAsync(nothingLive, HttpStatusCode.Conflict);

        var first = await Client.CreateReleaseAsync(environment, await Client.ImportCatalogueAsync());
        await Client.MakeLiveAsync(first, agents);
        using var onlyOneLive = await Client.PostRollbackAsync(environment);
        await Problem.ReadAsync(onlyOneLive, HttpStatusCode.Conflict);
    }

    [Fact]
    public async Task Hot_releases_are_the_ones_every_agent_still_holds_and_rollback_to_them_is_a_pointer_flip()
    {
        var (environment, agents, releases) = await LiveHistoryAsync(3);

        var view = await Client.EnvironmentAsync(environment);
        Assert.Equal(releases[2], view.LiveRelease?.Id);
        Assert.Equal([releases[1], releases[0]], view.HotReleases);
        Assert.Equal([releases[2], releases[1], releases[0]], (await agents[1].DesiredAsync()).Hold.Select(h => h.ReleaseId));

        // One agent evicts the oldest: it is no longer hot, and rolling back to it needs staging on that agent.
        await agents[1].DropAsync(releases[0]);
        Assert.Equal([releases[1]], (await Client.EnvironmentAsync(environment)).HotReleases);
        var rollback = await Client.RollbackAsync(environment, releases[0]);
        Assert.Equal("Staging", rollback.State);
        Assert.Equal(("Staged", "Waiting"), (rollback.Agent(agents[0].Id).Phase, rollback.Agent(agents[1].Id).Phase));
    }

    /// <summary>An environment with two agents and <paramref name="count"/> releases made live one after another.</summary>
    private async Task<(string Environment, TestAgent[] Agents, List<long> Releases)> LiveHistoryAsync(int count)
    {
        var environment = await Client.NewEnvironmentAsync("east", "west");
        TestAgent[] agents =
        [
            await TestAgent.RegisterAsync(Client, environment + "-a", environment, "east"),
            await TestAgent.RegisterAsync(Client, environment + "-b", environment, "west"),
        ];
        foreach (var agent in agents)
        {
            await agent.ReportAsync();
        }

        var releases = new List<long>();
        for (var i = 0; i < count; i++)
        {
            var release = await Client.CreateReleaseAsync(environment, await Client.ImportCatalogueAsync(seed: i + 1));
            await Client.MakeLiveAsync(release, agents);
            releases.Add(release);
        }

        return (environment, agents, releases);
    }
}
