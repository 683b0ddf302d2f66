using System.Net;
using ControlPlane.Tests.Datasets;
using ControlPlane.Tests.Releases;
using ControlPlane.Tests.Scheduling;
using ControlPlane.Tests.Support;
using static ControlPlane.Tests.Scheduling.SchedulesApi;

namespace ControlPlane.Tests.Tiers;

/// <summary>Tiers with schedules served but not fired (the tests move the clock).</summary>
public sealed class ScheduledTiersFixture : TiersFixture
{
    protected override IEnumerable<KeyValuePair<string, string?>> Settings =>
    [
        .. base.Settings,
        new("Schedules:RunTriggers", "false"),
        new("Schedules:FollowUpInterval", "00:01:00"),
    ];
}

/// <summary>
/// Versions a schedule will need (what it activates, what it reverts to) are never archived or expired, whatever the
/// policies say; cold archives older than coldKeepDays are deleted only when nothing protects them.
/// </summary>
public sealed class ScheduledVersionTests(ScheduledTiersFixture fixture) : TiersTest<ScheduledTiersFixture>(fixture), IClassFixture<ScheduledTiersFixture>
{
    [Fact]
    public async Task Versions_only_a_future_schedule_references_survive_an_aggressive_archive_run_until_it_is_cancelled()
    {
        for (var v = 1; v <= 5; v++)
        {
            await Client.ImportAsync("price", Bodies.Ndjson(Bodies.Prices(20, seed: v)));
        }

        var (environment, _) = await EnvironmentWithLiveAsync(priceVersion: 3);
        await PolicyEverywhereAsync(new { hotReleases = 0, warmDays = 0, warmVersions = 1 });

        // v1 is activated and v2 reverted to by a schedule a month ahead; nothing else refers to either.
        var activates = await Client.CreateReleaseAsync(environment, new() { ["price"] = 1 });
        var revertsTo = await Client.CreateReleaseAsync(environment, new() { ["price"] = 2 });
        var at = Fixture.Clock.GetUtcNow().AddDays(30);
        var schedule = await Client.CreateScheduleAsync(new { release = activates, activateAt = Iso(at), revertAt = Iso(at.AddDays(1)), revertTo = revertsTo });

        var run = await RunArchiveAsync();

        Assert.Equal(["price v4"], run.Archived);
        var tiers = await TiersOfAsync("price");
        Assert.Contains($"scheduled in {environment} (schedule {schedule.Id}, activates release {activates})", tiers.Version(1).ProtectedBecause);
        Assert.Contains($"scheduled in {environment} (schedule {schedule.Id}, reverts to release {revertsTo})", tiers.Version(2).ProtectedBecause);
        foreach (var v in new[] { 1, 2 })
        {
            Assert.Equal("warm", await TierOfAsync("price", v));
            Assert.Equal(20, (await Client.AllRecordsAsync("price", v)).Count);
        }

        // Cancelled, the schedule protects nothing any more.
        await Client.CancelScheduleAsync(schedule.Id);
        Assert.Equal(["price v1", "price v2"], (await RunArchiveAsync()).Archived.Order());
    }

    [Fact]
    public async Task Cold_archives_older_than_every_environments_cold_keep_are_deleted_unless_protected()
    {
        for (var v = 1; v <= 4; v++)
        {
            await Client.ImportAsync("price", Bodies.Ndjson(Bodies.Prices(20, seed: v)));
        }

        var (environment, _) = await EnvironmentWithLiveAsync(priceVersion: 4);
        await PolicyEverywhereAsync(new { hotReleases = 0, warmDays = 0, warmVersions = 1, coldKeepDays = 10 });
        using (var put = await PutPolicyAsync(environment, new { hotReleases = 0, warmDays = 0, warmVersions = 1, coldKeepDays = 20 }))
        {
            Assert.Equal(HttpStatusCode.OK, put.StatusCode);
        }

        Assert.Equal(["price v1", "price v2", "price v3"], (await RunArchiveAsync()).Archived.Order());

        // v1 is cold, and a schedule made afterwards will activate it: it must stay restorable.
        var release = await Client.CreateReleaseAsync(environment, new() { ["price"] = 1 });
        await Client.CreateScheduleAsync(new { release, activateAt = Iso(Fixture.Clock.GetUtcNow().AddDays(60)) });

        // 11 days: past the other environments' keep (10 days) but not this environment's 20; the longest wins.
        Fixture.Clock.Advance(TimeSpan.FromDays(11));
        Assert.Empty((await RunArchiveAsync()).Expired);

        Fixture.Clock.Advance(TimeSpan.FromDays(10));
        var run = await RunArchiveAsync();

        Assert.Equal(["price v2", "price v3"], run.Expired.Order());
        Assert.Equal(("cold", "expired", "expired"), (await TierOfAsync("price", 1), await TierOfAsync("price", 2), await TierOfAsync("price", 3)));
        Assert.True(File.Exists(Path.Combine(Fixture.ColdFolder, "price", "0000000001", "manifest.json")));
        foreach (var v in new[] { "0000000002", "0000000003" })
        {
            var folder = Path.Combine(Fixture.ColdFolder, "price", v);
            Assert.True(!Directory.Exists(folder) || Directory.GetFiles(folder).Length == 0, $"the archive in {folder} is deleted");
        }

        Assert.Equal(20, (await Client.AllRecordsAsync("price", 1)).Count);
        Assert.Equal(2L, await Fixture.Database.ScalarAsync<long>("SELECT count(*) FROM audit WHERE kind = 'version.expire'"));
        Assert.Equal(1L, await Fixture.Database.ScalarAsync<long>("SELECT count(*) FROM version_archives"));
        Assert.Empty((await RunArchiveAsync()).Expired);
    }

    /// <summary>Versions are shared, so the most generous window of any environment (earlier tests' too) decides: set them all.</summary>
    private async Task PolicyEverywhereAsync(object policy)
    {
        foreach (var environment in await Fixture.Database.StringsAsync("SELECT name FROM environments"))
        {
            using var put = await PutPolicyAsync(environment, policy);
            Assert.Equal(HttpStatusCode.OK, put.StatusCode);
        }
    }

    private async Task<(string Environment, TestAgent Agent)> EnvironmentWithLiveAsync(int priceVersion)
    {
        var environment = await Client.NewEnvironmentAsync("g");
        var agent = await TestAgent.RegisterAsync(Client, environment + "-a", environment, "g");
        await agent.ReportAsync();
        await Client.MakeLiveAsync(await Client.CreateReleaseAsync(environment, new() { ["price"] = priceVersion }), [agent]);
        return (environment, agent);
    }
}
