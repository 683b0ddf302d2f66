using System.Net;
using ControlPlane.Contracts;
using ControlPlane.Tests.Datasets;
using ControlPlane.Tests.Support;

namespace ControlPlane.Tests.Releases;

/// <summary>
/// The publication state machine driven the way agents drive it: publish, agents report staging progress and the
/// releases they hold, the barrier orders the switch at a new generation, agents report the switch. Each test has
/// its own environment and agents; the clock moves only when a test moves it.
/// </summary>
public sealed class PublicationTests(ManualClockFixture fixture) : IClassFixture<ManualClockFixture>
{
    private HttpClient Client => fixture.Client;

    [Fact]
    public async Task A_publish_stages_on_every_agent_then_switches_all_at_one_generation_and_goes_live()
    {
        var (environment, a, b) = await TwoAgentsAsync();
        var versions = await Client.ImportCatalogueAsync();
        var release = await Client.CreateReleaseAsync(environment, versions);
        var generationBefore = (await Client.EnvironmentAsync(environment)).Generation;

        var started = await Client.PublishAsync(release);

        Assert.Equal(("publish", "Staging", release, environment), (started.Kind, started.State, started.ReleaseId, started.Environment));
        Assert.Null(started.Generation);
        Assert.Equal([a.Id, b.Id], started.Agents.Select(x => x.AgentId));
        Assert.All(started.Agents, x => Assert.Equal("Waiting", x.Phase));
        Assert.Equal("Staging", (await Client.ReleaseAsync(release)).State);

        // What agents are told to hold: the release with each dataset's version, count and content hash.
        var desired = await a.DesiredAsync();
        Assert.Equal(environment, desired.Environment);
        Assert.Null(desired.Live);
        var manifest = Assert.Single(desired.Hold);
        Assert.Equal(release, manifest.ReleaseId);
        Assert.Equal(versions.Keys.Order(), manifest.Datasets.Keys.Order());
        foreach (var (dataset, version) in versions)
        {
            var stored = await Client.GetOkAsync<VersionDto>($"/api/v1/datasets/{dataset}/versions/{version}");
            Assert.Equal(new DatasetVersionRef(version, stored.Records, stored.ContentHash), manifest.Datasets[dataset]);
        }

        Assert.Equal(desired.ETag, (await b.DesiredAsync()).ETag);

        await a.StagingAsync(release, versions["price"], staged: 8, total: 20);
        var progress = await Client.PublicationOfAsync(release);
        Assert.Equal(("Staging", 8L, 20L), (progress.Agent(a.Id).Phase, progress.Agent(a.Id).RecordsStaged, progress.Agent(a.Id).RecordsTotal));
        Assert.Equal("Waiting", progress.Agent(b.Id).Phase);

        await a.HoldAsync(release);
        var oneStaged = await Client.PublicationOfAsync(release);
        Assert.Equal(("Staging", "Staged", "Waiting"), (oneStaged.State, oneStaged.Agent(a.Id).Phase, oneStaged.Agent(b.Id).Phase));
        Assert.Null(oneStaged.Generation);

        // The barrier: the last agent to hold the release moves it to Switching at the next generation.
        await b.HoldAsync(release);
        var switching = await Client.PublicationOfAsync(release);
        Assert.Equal("Switching", switching.State);
        var generation = generationBefore + 1;
        Assert.Equal(generation, switching.Generation);
        Assert.Equal(generation, (await Client.EnvironmentAsync(environment)).Generation);
        Assert.Null((await Client.EnvironmentAsync(environment)).LiveRelease);
        var order = await a.DesiredAsync();
        Assert.Equal(new SwitchOrder(release, generation), order.Live);
        Assert.Equal([release], order.Hold.Select(h => h.ReleaseId));
        Assert.NotEqual(desired.ETag, order.ETag);

        await a.SwitchAsync(release, generation);
        var oneSwitched = await Client.PublicationOfAsync(release);
        Assert.Equal(("Switching", "Switched", "Staged"), (oneSwitched.State, oneSwitched.Agent(a.Id).Phase, oneSwitched.Agent(b.Id).Phase));

        await b.SwitchAsync(release, generation);
        var live = await Client.PublicationOfAsync(release);
        Assert.Equal("Live", live.State);
        Assert.All(live.Agents, x => Assert.Equal("Switched", x.Phase));
        Assert.NotNull(live.LiveAt);
        Assert.NotNull(live.Timings.StagingSeconds);
        Assert.NotNull(live.Timings.SwitchingSeconds);
        Assert.NotNull(live.Timings.TotalSeconds);
        var view = await Client.EnvironmentAsync(environment);
        Assert.Equal(release, view.LiveRelease?.Id);
        Assert.Null(view.InFlight);
        Assert.Equal(new SwitchOrder(release, generation), (await b.DesiredAsync()).Live);

        // The next release to go live supersedes this one.
        var next = await Client.CreateReleaseAsync(environment, await Client.ImportCatalogueAsync(seed: 2));
        var nextLive = await Client.MakeLiveAsync(next, [a, b]);
        Assert.Equal((release, generation + 1), (nextLive.PreviousReleaseId, nextLive.Generation));
        Assert.Equal("Superseded", (await Client.ReleaseAsync(release)).State);
        Assert.Equal("Live", (await Client.ReleaseAsync(next)).State);
        Assert.Equal(next, (await Client.EnvironmentAsync(environment)).LiveRelease?.Id);
    }

    [Fact]
    public async Task A_second_publish_while_one_is_in_flight_is_409_naming_the_release_in_flight()
    {
        var (environment, a, b) = await TwoAgentsAsync();
        var versions = await Client.ImportCatalogueAsync();
        var first = await Client.CreateReleaseAsync(environment, versions);
        var second = await Client.CreateReleaseAsync(environment, versions);
        await Client.PublishAsync(first);

        foreach (var release in new[] { second, first })
        {
            using var response = await Client.PostPublishAsync(release);
            var problem = await Problem.ReadAsync(response, HttpStatusCode.Conflict);
            Assert.Contains($"Release {first} ", problem.Detail, StringComparison.Ordinal);
        }

        // Once the first is live, the second may go.
        await Client.StageAndSwitchAsync(first, [a, b]);
        Assert.Equal("Staging", (await Client.PublishAsync(second)).State);
    }

    [Fact]
    public async Task Of_concurrent_publishes_to_one_environment_exactly_one_starts_and_the_others_are_409()
    {
        var (environment, _, _) = await TwoAgentsAsync();
        var versions = await Client.ImportCatalogueAsync();
        var releases = new List<long>();
        for (var i = 0; i < 6; i++)
        {
            releases.Add(await Client.CreateReleaseAsync(environment, versions));
        }

        var responses = await Task.WhenAll(releases.Select(r => Client.PostPublishAsync(r)));

        try
        {
            Assert.Equal(1, responses.Count(r => r.StatusCode == HttpStatusCode.Accepted));
            Assert.Equal(releases.Count - 1, responses.Count(r => r.StatusCode == HttpStatusCode.Conflict));
            Assert.NotNull((await Client.EnvironmentAsync(environment)).InFlight);
        }
        finally
        {
            foreach (var response in responses)
            {
                response.Dispose();
            }
        }
    }

    [Fact]
    public async Task Agents_reporting_the_release_held_all_at_once_pass_the_barrier_once()
    {
        var environment = await Client.NewEnvironmentAsync("east", "west");
        var agents = new List<TestAgent>();
        for (var i = 0; i < 8; i++)
        {
            agents.Add(await TestAgent.RegisterAsync(Client, $"{environment}-{i}", environment, i % 2 == 0 ? "east" : "west"));
        }

        var release = await Client.CreateReleaseAsync(environment, await Client.ImportCatalogueAsync());
        var generationBefore = (await Client.EnvironmentAsync(environment)).Generation;
        await Client.PublishAsync(release);

        await Task.WhenAll(agents.Select(a => a.HoldAsync(release)));

        var switching = await Client.PublicationOfAsync(release);
        Assert.Equal(("Switching", generationBefore + 1), (switching.State, switching.Generation));
        Assert.Equal(generationBefore + 1, (await Client.EnvironmentAsync(environment)).Generation);
        await Task.WhenAll(agents.Select(a => a.SwitchAsync(release, generationBefore + 1)));
        Assert.Equal("Live", (await Client.ReleaseAsync(release)).State);
    }

    [Fact]
    public async Task Publishing_a_release_every_agent_already_holds_goes_straight_to_the_switch()
    {
        var (environment, a, b) = await TwoAgentsAsync();
        var earlier = await Client.CreateReleaseAsync(environment, await Client.ImportCatalogueAsync(seed: 1));
        var current = await Client.CreateReleaseAsync(environment, await Client.ImportCatalogueAsync(seed: 2));
        await Client.MakeLiveAsync(earlier, [a, b]);
        var currentLive = await Client.MakeLiveAsync(current, [a, b]);

        // The earlier release is still hot: the agents are told to keep it, and they hold it.
        Assert.Contains(earlier, (await a.DesiredAsync()).Hold.Select(h => h.ReleaseId));
        var started = await Client.PublishAsync(earlier);

        Assert.Equal(("Switching", currentLive.Generation + 1), (started.State, started.Generation));
        Assert.All(started.Agents, x => Assert.Equal("Staged", x.Phase));
        Assert.Equal(new SwitchOrder(earlier, currentLive.Generation!.Value + 1), (await a.DesiredAsync()).Live);
    }

    [Fact]
    public async Task An_agent_that_is_stale_at_publish_time_takes_no_part_in_the_publication()
    {
        var (environment, a, b) = await TwoAgentsAsync();
        var release = await Client.CreateReleaseAsync(environment, await Client.ImportCatalogueAsync());

        // b falls silent for longer than StaleAfterSeconds (15 s); a keeps reporting.
        fixture.Clock.Advance(TimeSpan.FromSeconds(16));
        await a.ReportAsync();
        Assert.Equal("stale", (await Client.AgentAsync(environment, b.Id)).Status);
        var started = await Client.PublishAsync(release);

        Assert.Equal([a.Id], started.Agents.Select(x => x.AgentId));
        await a.HoldAsync(release);
        var switching = await Client.PublicationOfAsync(release);
        Assert.Equal("Switching", switching.State);
        await a.SwitchAsync(release, switching.Generation!.Value);
        Assert.Equal("Live", (await Client.ReleaseAsync(release)).State);
    }

    [Fact]
    public async Task Desired_state_holds_the_live_release_and_up_to_HotRetention_earlier_ones_newest_first()
    {
        var (environment, a, b) = await TwoAgentsAsync();
        var releases = new List<long>();
        for (var i = 1; i <= 4; i++)
        {
            var release = await Client.CreateReleaseAsync(environment, await Client.ImportCatalogueAsync(seed: i));
            await Client.MakeLiveAsync(release, [a, b]);
            releases.Add(release);
        }

        // HotRetention is 2 in this fixture: the live release and the two before it.
        var desired = await a.DesiredAsync();
        Assert.Equal([releases[3], releases[2], releases[1]], desired.Hold.Select(h => h.ReleaseId));
        Assert.Equal(releases[3], desired.Live?.ReleaseId);
        Assert.Equal(2, desired.HotRetention);

        // A release in flight comes first, the hot ones stay.
        var fifth = await Client.CreateReleaseAsync(environment, await Client.ImportCatalogueAsync(seed: 5));
        await Client.PublishAsync(fifth);
        Assert.Equal([fifth, releases[3], releases[2], releases[1]], (await a.DesiredAsync()).Hold.Select(h => h.ReleaseId));
    }

    private async Task<(string Environment, TestAgent A, TestAgent B)> TwoAgentsAsync()
    {
        var environment = await Client.NewEnvironmentAsync("east", "west");
        var a = await TestAgent.RegisterAsync(Client, environment + "-a", environment, "east");
        var b = await TestAgent.RegisterAsync(Client, environment + "-b", environment, "west");
        await a.ReportAsync();
        await b.ReportAsync();
        return (environment, a, b);
    }
}
