using System.Net;
using ControlPlane.Contracts;
using ControlPlane.Tests.Releases;
using ControlPlane.Tests.Support;

namespace ControlPlane.Tests.Waves;

/// <summary>
/// Publications in waves driven the way agents drive them: each wave stages, passes its own barrier and switches while
/// the other waves' agents are told nothing new; between waves the publication holds until promoted or aborted.
/// </summary>
public sealed class WaveTests(ManualClockFixture fixture) : IClassFixture<ManualClockFixture>
{
    private static readonly string[][] EastThenWest = [["east"], ["west"]];
    private static readonly string[][] WestThenEast = [["west"], ["east"]];

    private HttpClient Client => fixture.Client;

    [Fact]
    public async Task Two_waves_go_live_one_after_the_other_and_hold_in_between_until_promoted()
    {
        var (environment, east, west, previous, previousGeneration) = await LiveEnvironmentAsync();
        var release = await Client.CreateReleaseAsync(environment, await Client.ImportCatalogueAsync(seed: 2));
        var westBefore = await west.DesiredAsync();

        var started = await Client.PublishInWavesAsync(release, new { waves = EastThenWest });

        Assert.Equal(("Staging", 0, previous), (started.State, started.CurrentWave, started.PreviousReleaseId));
        Assert.Equal([[east.Id], [west.Id]], started.Waves!.Select(w => w.Agents));
        Assert.Equal([["east"], ["west"]], started.Waves!.Select(w => w.Groups));
        Assert.Equal(["Staging", "Pending"], started.Waves!.Select(w => w.State));

        // Only the first wave's agents are asked to stage; the second wave's desired state has not changed at all.
        Assert.Contains(release, (await east.DesiredAsync()).Hold.Select(h => h.ReleaseId));
        Assert.Equal(westBefore.ETag, (await west.DesiredAsync()).ETag);

        // The first wave's barrier orders its agents alone to switch, at a new generation.
        await east.HoldAsync(release);
        var switching = await Client.WavedPublicationOfAsync(release);
        Assert.Equal("Switching", switching.State);
        var firstGeneration = switching.Waves![0].Generation!.Value;
        Assert.True(firstGeneration > previousGeneration);
        Assert.Equal(new SwitchOrder(release, firstGeneration), (await east.DesiredAsync()).Live);
        Assert.Equal(new SwitchOrder(previous, previousGeneration), (await west.DesiredAsync()).Live);

        await east.SwitchAsync(release, firstGeneration);
        var holding = await Client.WavedPublicationOfAsync(release);
        Assert.Equal(("Holding", 0), (holding.State, holding.CurrentWave));
        Assert.Null(holding.HoldUntil);
        Assert.Equal(["Live", "Pending"], holding.Waves!.Select(w => w.State));
        Assert.NotNull(holding.Waves![0].SwitchingSeconds);

        // The environment shows the mix group by group; the environment's live release is still the previous one.
        var view = await Client.WavedEnvironmentAsync(environment);
        Assert.Equal(previous, view.LiveRelease?.Id);
        Assert.Equal(("Holding", release), (view.InFlight?.State, view.InFlight?.ReleaseId));
        Assert.Equal([release], view.Groups.Single(g => g.Name == "east").LiveReleases);
        Assert.Equal([previous], view.Groups.Single(g => g.Name == "west").LiveReleases);

        // Nothing more happens until someone promotes.
        await east.ReportAsync();
        await west.ReportAsync();
        Assert.Equal("Holding", (await Client.WavedPublicationOfAsync(release)).State);

        var promoted = await Client.PromoteAsync(release);
        Assert.Equal(("Staging", 1), (promoted.State, promoted.CurrentWave));
        Assert.Equal(ControlPlaneFixture.AdminName, promoted.Waves![1].StartedBy);
        Assert.Contains(release, (await west.DesiredAsync()).Hold.Select(h => h.ReleaseId));
        await west.HoldAsync(release);
        var secondGeneration = (await Client.WavedPublicationOfAsync(release)).Waves![1].Generation!.Value;
        Assert.True(secondGeneration > firstGeneration);
        Assert.Equal(new SwitchOrder(release, secondGeneration), (await west.DesiredAsync()).Live);
        await west.SwitchAsync(release, secondGeneration);

        var live = await Client.WavedPublicationOfAsync(release);
        Assert.Equal("Live", live.State);
        Assert.Equal(["Live", "Live"], live.Waves!.Select(w => w.State));
        Assert.All(live.Waves!, w => Assert.NotNull(w.StagingSeconds));
        Assert.Equal(release, (await Client.EnvironmentAsync(environment)).LiveRelease?.Id);
        Assert.Equal("Superseded", (await Client.ReleaseAsync(previous)).State);
    }

    [Fact]
    public async Task Abort_sends_the_waves_already_live_back_to_the_previous_release_and_the_rest_never_changes()
    {
        var (environment, east, west, previous, previousGeneration) = await LiveEnvironmentAsync();
        var release = await Client.CreateReleaseAsync(environment, await Client.ImportCatalogueAsync(seed: 3));
        await Client.PublishInWavesAsync(release, new { waves = EastThenWest });
        var westBefore = await west.DesiredAsync();
        await east.HoldAsync(release);
        var firstGeneration = (await Client.WavedPublicationOfAsync(release)).Generation!.Value;
        await east.SwitchAsync(release, firstGeneration);
        Assert.Equal("Holding", (await Client.WavedPublicationOfAsync(release)).State);

        var aborting = await Client.AbortAsync(release, "prices look wrong in east");

        Assert.Equal("Aborting", aborting.State);
        Assert.Contains("prices look wrong in east", aborting.Reason, StringComparison.Ordinal);
        Assert.Equal(["Reverting", "Cancelled"], aborting.Waves!.Select(w => w.State));
        var back = (await east.DesiredAsync()).Live!;
        Assert.Equal(previous, back.ReleaseId);
        Assert.True(back.Generation > firstGeneration);
        Assert.Equal(westBefore, await west.DesiredAsync(), DesiredStateComparer.Instance);

        // A second abort, or a promote, finds nothing to do.
        using (var again = await Client.PostPromoteAsync(release))
        {
            Assert.Contains("Aborting", (await Problem.ReadAsync(again, HttpStatusCode.Conflict)).Detail, StringComparison.Ordinal);
        }

        await east.SwitchAsync(previous, back.Generation);
        var aborted = await Client.WavedPublicationOfAsync(release);
        Assert.Equal("Aborted", aborted.State);
        Assert.Equal(["Reverted", "Cancelled"], aborted.Waves!.Select(w => w.State));
        Assert.Equal("Aborted", (await Client.ReleaseAsync(release)).State);
        var view = await Client.WavedEnvironmentAsync(environment);
        Assert.Equal(previous, view.LiveRelease?.Id);
        Assert.Null(view.InFlight);
        Assert.All(view.Groups, g => Assert.Equal([previous], g.LiveReleases));

        // The aborted release is no longer held; east keeps the order back; west's state never changed.
        var eastAfter = await east.DesiredAsync();
        Assert.DoesNotContain(release, eastAfter.Hold.Select(h => h.ReleaseId));
        Assert.Equal(back, eastAfter.Live);
        Assert.Equal(new SwitchOrder(previous, previousGeneration), (await west.DesiredAsync()).Live);
        Assert.Equal(westBefore.ETag, (await west.DesiredAsync()).ETag);

        // The environment is free for the next publication.
        Assert.Equal("Staging", (await Client.PublishAsync(release)).State);
    }

    [Fact]
    public async Task Abort_before_any_wave_switched_ends_the_publication_with_nothing_visible()
    {
        var (environment, east, west, previous, previousGeneration) = await LiveEnvironmentAsync();
        var release = await Client.CreateReleaseAsync(environment, await Client.ImportCatalogueAsync(seed: 4));
        await Client.PublishInWavesAsync(release, new { waves = EastThenWest });

        var aborted = await Client.AbortAsync(release);

        Assert.Equal("Aborted", aborted.State);
        Assert.Equal(["Cancelled", "Cancelled"], aborted.Waves!.Select(w => w.State));
        Assert.Contains("nothing was visible", aborted.Reason, StringComparison.Ordinal);
        Assert.Equal(previousGeneration, (await Client.EnvironmentAsync(environment)).Generation);
        foreach (var agent in new[] { east, west })
        {
            var desired = await agent.DesiredAsync();
            Assert.Equal(new SwitchOrder(previous, previousGeneration), desired.Live);
            Assert.DoesNotContain(release, desired.Hold.Select(h => h.ReleaseId));
        }
    }

    [Fact]
    public async Task A_hold_time_promotes_the_next_wave_when_the_clock_passes_it()
    {
        var (environment, east, west, _, _) = await LiveEnvironmentAsync();
        var release = await Client.CreateReleaseAsync(environment, await Client.ImportCatalogueAsync(seed: 5));
        await Client.PublishInWavesAsync(release, new { waves = EastThenWest, holdSeconds = 10 });
        await east.HoldAsync(release);
        await east.SwitchAsync(release, (await Client.WavedPublicationOfAsync(release)).Generation!.Value);
        var holding = await Client.WavedPublicationOfAsync(release);
        Assert.Equal(("Holding", 10), (holding.State, holding.HoldSeconds));
        Assert.Equal(fixture.Clock.GetUtcNow().AddSeconds(10), holding.HoldUntil);

        // The sweeper runs every 200 ms on real time, but the hold is measured on the application's clock.
        await Task.Delay(600);
        Assert.Equal("Holding", (await Client.WavedPublicationOfAsync(release)).State);
        fixture.Clock.Advance(TimeSpan.FromSeconds(11));

        var promoted = await Eventually.ReadUntilAsync(() => Client.WavedPublicationOfAsync(release), p => p.State != "Holding", "the hold time passed");
        Assert.Equal(("Staging", 1, "hold-timer"), (promoted.State, promoted.CurrentWave, promoted.Waves![1].StartedBy));
        Assert.Contains(release, (await west.DesiredAsync()).Hold.Select(h => h.ReleaseId));
        await east.ReportAsync();
        await Client.StageAndSwitchAsync(release, [west]);
    }

    [Fact]
    public async Task A_canary_goes_first_to_the_first_agents_by_id_at_least_one_then_to_the_rest()
    {
        var environment = await Client.NewEnvironmentAsync("pool");
        var ids = Enumerable.Range(0, 10).Select(i => $"{environment}-{i:00}").ToList();
        var agents = new List<TestAgent>();
        foreach (var id in ids.OrderByDescending(i => i, StringComparer.Ordinal))
        {
            agents.Add(await TestAgent.RegisterAsync(Client, id, environment, "pool"));
        }

        var versions = await Client.ImportCatalogueAsync(seed: 6);
        var first = await Client.CreateReleaseAsync(environment, versions);
        var quarter = await Client.PublishInWavesAsync(first, new { canaryPercent = 25 });

        // ceil(10 x 25 / 100) = 3 agents, the first three in ordinal order of their ids.
        Assert.Equal(25, quarter.CanaryPercent);
        Assert.Equal([ids[..3], ids[3..]], quarter.Waves!.Select(w => w.Agents));
        Assert.All(quarter.Waves!, w => Assert.Null(w.Groups));
        var canary = agents.Where(a => ids[..3].Contains(a.Id)).ToList();
        foreach (var agent in agents)
        {
            Assert.Equal(canary.Contains(agent), (await agent.DesiredAsync()).Hold.Any(h => h.ReleaseId == first));
        }

        await Client.AbortAsync(first);

        var second = await Client.CreateReleaseAsync(environment, await Client.ImportCatalogueAsync(seed: 7));
        var onePercent = await Client.PublishInWavesAsync(second, new { canaryPercent = 1 });
        Assert.Equal([ids[..1], ids[1..]], onePercent.Waves!.Select(w => w.Agents));
    }

    [Theory]
    [InlineData("""{"waves":[["east"],["nowhere"]]}""", "waves[1][0]", "nowhere")]
    [InlineData("""{"waves":[["east","west"],["east"]]}""", "waves[1][0]", "east")]
    [InlineData("""{"waves":[["east"]]}""", "waves", "west")]
    [InlineData("""{"waves":[["east"],[],["west"]]}""", "waves[1]", "Wave 2")]
    [InlineData("""{"waves":[]}""", "waves", "at least one wave")]
    [InlineData("""{"waves":[["east"],["west"]],"canaryPercent":10}""", "canaryPercent", "not both")]
    [InlineData("""{"canaryPercent":0}""", "canaryPercent", "between 1 and 99")]
    [InlineData("""{"canaryPercent":100}""", "canaryPercent", "between 1 and 99")]
    [InlineData("""{"holdSeconds":30}""", "holdSeconds", "waves or canaryPercent")]
    [InlineData("""{"canaryPercent":10,"holdSeconds":-1}""", "holdSeconds", "between 0")]
    public async Task Bad_wave_definitions_are_400_naming_the_field_and_start_nothing(string body, string field, string named)
    {
        var (environment, east, _, previous, previousGeneration) = await LiveEnvironmentAsync();
        var release = await Client.CreateReleaseAsync(environment, await Client.ImportCatalogueAsync(seed: 8));

        using var response = await Client.PostAsync($"/api/v1/releases/{release}/publish",
            new StringContent(body, System.Text.Encoding.UTF8, "application/json"));

        var problem = await Problem.ReadAsync(response, HttpStatusCode.BadRequest);
        var error = Assert.Single(problem.Errors);
        Assert.Equal(field, error.Field);
        Assert.Contains(named, error.Message, StringComparison.Ordinal);
        Assert.Equal("Pending", (await Client.ReleaseAsync(release)).State);
        Assert.Equal(new SwitchOrder(previous, previousGeneration), (await east.DesiredAsync()).Live);
    }

    [Fact]
    public async Task Promote_and_abort_answer_409_naming_the_state_when_they_do_not_apply()
    {
        var (environment, east, west, previous, _) = await LiveEnvironmentAsync();

        // Not published in waves.
        using (var response = await Client.PostPromoteAsync(previous))
        {
            Assert.Contains("not published in waves", (await Problem.ReadAsync(response, HttpStatusCode.Conflict)).Detail, StringComparison.Ordinal);
        }

        // Never published, and no such release.
        var pending = await Client.CreateReleaseAsync(environment, await Client.ImportCatalogueAsync(seed: 9));
        using (var response = await Client.PostAbortAsync(pending))
        {
            Assert.Contains("Pending", (await Problem.ReadAsync(response, HttpStatusCode.Conflict)).Detail, StringComparison.Ordinal);
        }

        using (var response = await Client.PostPromoteAsync(987_654_321))
        {
            await Problem.ReadAsync(response, HttpStatusCode.NotFound);
        }

        // Promote while the first wave is still staging.
        await Client.PublishInWavesAsync(pending, new { waves = WestThenEast });
        using (var response = await Client.PostPromoteAsync(pending))
        {
            var detail = (await Problem.ReadAsync(response, HttpStatusCode.Conflict)).Detail;
            Assert.Contains("Staging", detail, StringComparison.Ordinal);
            Assert.Contains("wave 1 of 2", detail, StringComparison.Ordinal);
        }

        // Another publish (or a rollback) while the waves are in flight is refused, naming the publication in flight.
        using (var response = await Client.PostPublishAsync(previous))
        {
            var detail = (await Problem.ReadAsync(response, HttpStatusCode.Conflict)).Detail;
            Assert.Contains($"Release {pending} is being published", detail, StringComparison.Ordinal);
        }

        // After the last wave is live, abort no longer applies: that is a rollback.
        await west.HoldAsync(pending);
        await west.SwitchAsync(pending, (await Client.WavedPublicationOfAsync(pending)).Generation!.Value);
        await Client.PromoteAsync(pending);
        await Client.StageAndSwitchAsync(pending, [east]);
        using (var response = await Client.PostAbortAsync(pending))
        {
            var detail = (await Problem.ReadAsync(response, HttpStatusCode.Conflict)).Detail;
            Assert.Contains("Live", detail, StringComparison.Ordinal);
            Assert.Contains("rollback", detail, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Promote_and_abort_need_an_operator_and_each_is_in_the_audit_log()
    {
        var (environment, east, _, _, _) = await LiveEnvironmentAsync();
        var release = await Client.CreateReleaseAsync(environment, await Client.ImportCatalogueAsync(seed: 10));
        await Client.PublishInWavesAsync(release, new { waves = EastThenWest });
        await east.HoldAsync(release);
        await east.SwitchAsync(release, (await Client.WavedPublicationOfAsync(release)).Generation!.Value);
        using var viewer = await fixture.ClientAsAsync("waves-viewer-" + environment, "viewer");
        using var operatorClient = await fixture.ClientAsAsync("waves-operator-" + environment, "operator");

        using (var refused = await viewer.PostPromoteAsync(release))
        {
            await Problem.ReadAsync(refused, HttpStatusCode.Forbidden);
        }

        using (var refused = await viewer.PostAbortAsync(release))
        {
            await Problem.ReadAsync(refused, HttpStatusCode.Forbidden);
        }

        Assert.Equal("Holding", (await Client.WavedPublicationOfAsync(release)).State);
        Assert.Equal("Staging", (await operatorClient.PromoteAsync(release)).State);
        Assert.Equal("Aborting", (await operatorClient.AbortAsync(release, "bad stock counts")).State);

        var audit = await Client.GetOkAsync<System.Text.Json.JsonElement>($"/api/v1/audit?environment={environment}");
        var entries = (audit.ValueKind == System.Text.Json.JsonValueKind.Array ? audit : audit.GetProperty("items")).EnumerateArray()
            .Select(e => (Kind: e.GetProperty("kind").GetString(), Actor: e.GetProperty("actor").GetString(), Reason: e.TryGetProperty("reason", out var r) ? r.GetString() : null))
            .ToList();
        Assert.Contains(("release.promote", "waves-operator-" + environment, (string?)null), entries);
        Assert.Contains(("release.abort", "waves-operator-" + environment, "Aborted by waves-operator-" + environment + ": bad stock counts"), entries);
    }

    /// <summary>An environment with groups east and west, one agent each, and a release live on both.</summary>
    private async Task<(string Environment, TestAgent East, TestAgent West, long Live, long Generation)> LiveEnvironmentAsync()
    {
        var environment = await Client.NewEnvironmentAsync("east", "west");
        var east = await TestAgent.RegisterAsync(Client, environment + "-east", environment, "east");
        var west = await TestAgent.RegisterAsync(Client, environment + "-west", environment, "west");
        var release = await Client.CreateReleaseAsync(environment, await Client.ImportCatalogueAsync());
        var live = await Client.MakeLiveAsync(release, [east, west]);
        return (environment, east, west, release, live.Generation!.Value);
    }
}

/// <summary>Desired states are equal when they order the same: same ETag, same releases to hold, same switch order.</summary>
public sealed class DesiredStateComparer : IEqualityComparer<DesiredState>
{
    public static readonly DesiredStateComparer Instance = new();

    public bool Equals(DesiredState? x, DesiredState? y) =>
        x is not null && y is not null && x.ETag == y.ETag && x.Live == y.Live && x.Hold.Select(h => h.ReleaseId).SequenceEqual(y.Hold.Select(h => h.ReleaseId));

    public int GetHashCode(DesiredState obj) => obj.ETag.GetHashCode(StringComparison.Ordinal);
}
