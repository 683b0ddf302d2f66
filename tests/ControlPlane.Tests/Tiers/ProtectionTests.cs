using System.Net;
using System.Net.Http.Json;
using ControlPlane.Tests.Datasets;
using ControlPlane.Tests.Releases;
using ControlPlane.Tests.Support;

namespace ControlPlane.Tests.Tiers;

/// <summary>
/// The archive job never takes a version that is live, hot, part of a release in flight, or inside any environment's
/// warm window (by count or by age); each is tried here beside versions that do go cold.
/// </summary>
public sealed class ProtectionTests(TiersFixture fixture) : TiersTest<TiersFixture>(fixture), IClassFixture<TiersFixture>
{
    [Fact]
    public async Task Live_hot_in_flight_and_windowed_versions_stay_warm_the_others_go_cold()
    {
        // v1..v6 made 20 days ago, v7..v9 now.
        for (var v = 1; v <= 9; v++)
        {
            if (v == 7)
            {
                Fixture.Clock.Advance(TimeSpan.FromDays(20));
            }

            await Client.ImportAsync("price", Bodies.Ndjson(Bodies.Prices(30, seed: v)));
        }

        // env1: v1, v2, v3 made live in turn; one release besides the live one stays hot (Agents:HotRetention 1).
        var (env1, agents1) = await EnvironmentWithAgentAsync();
        var r = new Dictionary<int, long>();
        foreach (var v in new[] { 1, 2, 3 })
        {
            r[v] = await Client.CreateReleaseAsync(env1, new() { ["price"] = v });
            await Client.MakeLiveAsync(r[v], agents1);
        }

        // env2: v4 live, v5 being published (its agent has not staged it).
        var (env2, agents2) = await EnvironmentWithAgentAsync();
        r[4] = await Client.CreateReleaseAsync(env2, new() { ["price"] = 4 });
        await Client.MakeLiveAsync(r[4], agents2);
        r[5] = await Client.CreateReleaseAsync(env2, new() { ["price"] = 5 });
        Assert.Equal("Staging", (await Client.PublishAsync(r[5])).State);

        // env3 keeps ten days warm: v7 (the last two, v8 and v9, are in every environment's window).
        var env3 = await Client.NewEnvironmentAsync("g");
        using (var put = await PutPolicyAsync(env3, new { warmDays = 10, warmVersions = 2 }))
        {
            Assert.Equal(HttpStatusCode.OK, put.StatusCode);
        }

        var policy = await Client.GetOkAsync<TierPolicyViewDto>($"/api/v1/environments/{env3}/tiers/policy");
        Assert.Equal([1, 6], policy.Effect.Of("price").ToArchive);
        Assert.StartsWith("2 version(s) will be archived to cold: price 1, 6.", policy.Effect.Summary, StringComparison.Ordinal);

        var run = await RunArchiveAsync();

        Assert.Equal(["price v1", "price v6"], run.Archived.Order());
        var tiers = await TiersOfAsync("price");
        Assert.Equal([1, 6], tiers.Versions.Where(v => v.Tier == "cold").Select(v => v.Version).Order());
        Assert.Contains($"hot in {env1} (release {r[2]})", tiers.Version(2).ProtectedBecause);
        Assert.Contains($"live in {env1}", tiers.Version(3).ProtectedBecause);
        Assert.Contains($"live in {env2}", tiers.Version(4).ProtectedBecause);
        Assert.Contains($"release {r[5]} in flight in {env2} (Staging)", tiers.Version(5).ProtectedBecause);
        Assert.True(tiers.Version(7).InWarmWindow && tiers.Version(8).InWarmWindow && tiers.Version(9).InWarmWindow);
        Assert.False(tiers.Version(6).InWarmWindow);
        foreach (var v in new[] { 2, 3, 4, 5, 7, 8, 9 })
        {
            Assert.Equal("warm", await TierOfAsync("price", v));
            Assert.Equal(30, (await Client.AllRecordsAsync("price", v)).Count);
        }

        // Once the publication of v5 is over and env3's window is gone, v5 and v7 may go too; v2 stays hot.
        await Client.StageAndSwitchAsync(r[5], agents2);
        using (var put = await PutPolicyAsync(env3, new { warmDays = 0, warmVersions = 2 }))
        {
            Assert.Equal(HttpStatusCode.OK, put.StatusCode);
        }

        var second = await RunArchiveAsync();
        Assert.Equal(["price v7"], second.Archived);
        Assert.Equal("warm", await TierOfAsync("price", 4));
    }

    [Fact]
    public async Task The_hot_policy_decides_what_agents_hold_and_a_dry_run_shows_which_releases_leave_hot()
    {
        for (var v = 1; v <= 5; v++)
        {
            await Client.ImportAsync("price", Bodies.Ndjson(Bodies.Prices(10, seed: v)));
        }

        var (environment, agents) = await EnvironmentWithAgentAsync();
        var releases = new List<long>();
        for (var v = 1; v <= 4; v++)
        {
            releases.Add(await Client.CreateReleaseAsync(environment, new() { ["price"] = v }));
            await Client.MakeLiveAsync(releases[^1], agents);
        }

        var current = await Client.GetOkAsync<TierPolicyViewDto>($"/api/v1/environments/{environment}/tiers/policy");
        Assert.True(current.IsDefault);
        Assert.Equal((1, 0, 2), (current.Policy.HotReleases, current.Policy.WarmDays, current.Policy.WarmVersions));
        Assert.Equal([releases[3], releases[2]], current.Effect.HotReleases);
        Assert.Equal([releases[3], releases[2]], (await agents[0].DesiredAsync()).Hold.Select(h => h.ReleaseId));

        using (var dry = await PutPolicyAsync(environment, new { hotReleases = 3 }, dryRun: true))
        {
            var view = await Http.ReadAsync<TierPolicyViewDto>(dry, HttpStatusCode.OK);
            Assert.Equal([releases[1], releases[0]], view.Effect.ReleasesEnteringHot);
            Assert.Contains("become hot again", view.Effect.Summary, StringComparison.Ordinal);
        }

        Assert.True((await Client.GetOkAsync<TierPolicyViewDto>($"/api/v1/environments/{environment}/tiers/policy")).IsDefault);
        Assert.Equal(2, (await agents[0].DesiredAsync()).Hold.Count);

        using (var dry = await PutPolicyAsync(environment, new { hotReleases = 0, warmVersions = 1 }, dryRun: true))
        {
            var view = await Http.ReadAsync<TierPolicyViewDto>(dry, HttpStatusCode.OK);
            Assert.Equal([releases[2]], view.Effect.ReleasesLeavingHot);
            Assert.Equal([1, 2, 3], view.Effect.Of("price").ToArchive);
            Assert.Contains($"Release(s) {releases[2]} leave hot", view.Effect.Summary, StringComparison.Ordinal);
        }

        var known = (await agents[0].DesiredAsync()).ETag;
        using (var put = await PutPolicyAsync(environment, new { hotReleases = 0, warmVersions = 1 }))
        {
            var saved = await Http.ReadAsync<TierPolicyViewDto>(put, HttpStatusCode.OK);
            Assert.False(saved.IsDefault);
        }

        // The agents' long poll answers with the new hot window.
        var desired = await agents[0].DesiredAsync(known, waitSeconds: 5);
        Assert.NotEqual(known, desired.ETag);
        Assert.Equal([releases[3]], desired.Hold.Select(h => h.ReleaseId));
        Assert.Equal(0, desired.HotRetention);
        Assert.Equal(["price v1", "price v2", "price v3"], (await RunArchiveAsync()).Archived.Order());
    }

    [Fact]
    public async Task A_pinned_group_keeps_the_release_its_agents_serve_warm_until_the_pin_is_removed()
    {
        for (var v = 1; v <= 4; v++)
        {
            await Client.ImportAsync("price", Bodies.Ndjson(Bodies.Prices(10, seed: v)));
        }

        var (environment, agents) = await EnvironmentWithAgentAsync();
        var first = await Client.CreateReleaseAsync(environment, new() { ["price"] = 1 });
        var firstLive = await Client.MakeLiveAsync(first, agents);
        var second = await Client.CreateReleaseAsync(environment, new() { ["price"] = 2 });
        await Client.MakeLiveAsync(second, agents);
        using (var put = await PutPolicyAsync(environment, new { hotReleases = 0 }))
        {
            Assert.Equal(HttpStatusCode.OK, put.StatusCode);
        }

        // The group's agent still serves the first release (a pinned group does not follow the environment).
        await agents[0].SwitchAsync(first, firstLive.Generation!.Value);
        await Fixture.Database.ExecuteAsync(
            $"INSERT INTO pins (environment, agent_group, reason, created_at, created_by) VALUES ('{environment}', 'g', 'freeze for audit', now(), 'test')");

        Assert.Empty((await RunArchiveAsync()).Archived);
        Assert.Contains($"pinned in {environment}/g: freeze for audit", (await TiersOfAsync("price")).Version(1).ProtectedBecause);

        await Fixture.Database.ExecuteAsync("UPDATE pins SET removed_at = now(), removed_by = 'test'");
        Assert.Equal(["price v1"], (await RunArchiveAsync()).Archived);
    }

    [Fact]
    public async Task Only_admins_set_policies_or_run_the_archive_job_viewers_read_them()
    {
        var environment = await Client.NewEnvironmentAsync("g");
        using var viewer = await Fixture.ClientAsAsync("tier-viewer", "viewer");
        using var @operator = await Fixture.ClientAsAsync("tier-operator", "operator");

        Assert.Equal(HttpStatusCode.OK, (await viewer.GetAsync($"/api/v1/environments/{environment}/tiers/policy")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await viewer.GetAsync("/api/v1/tiers")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await viewer.GetAsync("/api/v1/tiers/price")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await @operator.PutAsJsonAsync($"/api/v1/environments/{environment}/tiers/policy", new { hotReleases = 1 }, Http.Json)).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await @operator.PostAsync("/api/v1/tiers/archive/run", null)).StatusCode);
        using var anonymous = Fixture.CreateClient(null);
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync("/api/v1/tiers")).StatusCode);

        // A change is audited with its effect.
        using (var put = await PutPolicyAsync(environment, new { warmVersions = 7 }))
        {
            Assert.Equal(HttpStatusCode.OK, put.StatusCode);
        }

        var entry = await Fixture.Database.ScalarAsync<string>(
            $"SELECT actor || ' ' || (after->>'warmVersions') || ' ' || reason FROM audit WHERE kind = 'environment.tier-policy' AND environment = '{environment}'");
        Assert.Equal($"{ControlPlaneFixture.AdminName} 7 No version leaves warm.", entry);
    }

    [Theory]
    [InlineData("{\"hotReleases\":-1}", "hotReleases")]
    [InlineData("{\"warmVersions\":0}", "warmVersions")]
    [InlineData("{\"warmDays\":-3}", "warmDays")]
    [InlineData("{\"coldKeepDays\":0}", "coldKeepDays")]
    [InlineData("{\"datasets\":{\"coupons\":{}}}", "datasets.coupons")]
    [InlineData("{\"datasets\":{\"price\":{\"warmVersions\":0}}}", "datasets.price.warmVersions")]
    public async Task A_bad_policy_is_refused_naming_the_field_and_nothing_changes(string body, string field)
    {
        var environment = await Client.NewEnvironmentAsync("g");
        using var response = await Client.PutAsync($"/api/v1/environments/{environment}/tiers/policy",
            new StringContent(body, System.Text.Encoding.UTF8, "application/json"));
        Assert.Equal(field, Assert.Single((await Problem.ReadAsync(response, HttpStatusCode.BadRequest)).Errors).Field);
        Assert.True((await Client.GetOkAsync<TierPolicyViewDto>($"/api/v1/environments/{environment}/tiers/policy")).IsDefault);
        using var unknown = await PutPolicyAsync("no-such-environment", new { hotReleases = 1 });
        await Problem.ReadAsync(unknown, HttpStatusCode.NotFound);
    }

    private async Task<(string Environment, TestAgent[] Agents)> EnvironmentWithAgentAsync()
    {
        var environment = await Client.NewEnvironmentAsync("g");
        var agent = await TestAgent.RegisterAsync(Client, environment + "-a", environment, "g");
        await agent.ReportAsync();
        return (environment, [agent]);
    }
}
