using System.Globalization;
using System.Text.Json;
using ControlPlane.Tests.Releases;
using ControlPlane.Tests.Support;
using ControlPlane.Tests.Waves;

namespace ControlPlane.Tests.Cli;

/// <summary>
/// cpctl publish --waves/--canary/--hold, promote and abort against the real control plane, with test agents reporting
/// through the agent protocol: --wait ends with exit 11 when a wave holds for a person, 0 only when Live everywhere.
/// </summary>
public sealed class CliWaveTests(ControlPlaneFixture fixture) : IClassFixture<ControlPlaneFixture>
{
    private HttpClient Client => fixture.Client;

    private CliHarness Cli => new(fixture);

    [Fact]
    public async Task Publish_in_two_waves_waits_until_the_first_holds_with_exit_11_and_promote_wait_ends_0_when_Live()
    {
        var (environment, east, west, versions) = await CliPublishTests.SetUpAsync(Client, seed: 31);
        var release = await CliPublishTests.CreateReleaseAsync(Cli, environment, versions);
        var id = release.ToString(CultureInfo.InvariantCulture);

        var publishing = Cli.RunAsync("publish", id, "--waves", "east;west", "--wait", "--poll-interval", "50ms", "--timeout", "2m");
        await Eventually.ReadUntilAsync(() => Client.ReleaseAsync(release), r => r.State == "Staging", "the CLI started the publication");
        var staging = await Client.WavedPublicationOfAsync(release);
        Assert.Equal([["east"], ["west"]], staging.Waves!.Select(w => w.Groups));
        Assert.Null(staging.HoldUntil);
        await east.HoldAsync(release);
        await east.SwitchAsync(release, (await Client.WavedPublicationOfAsync(release)).Waves![0].Generation!.Value);
        var held = await publishing;

        Assert.True(held.ExitCode == 11, held.ToString());
        Assert.Equal("Holding", (await Client.WavedPublicationOfAsync(release)).State);
        Assert.Contains($"Release {release} is Holding in {environment} (publication {staging.Id}): wave 1 of 2 is live (groups east); wave 2 of 2 (groups west) waits.", held.Out);
        Assert.Contains($"Promote with: cpctl promote {release} --wait", held.Out);
        Assert.StartsWith($"Started publish {staging.Id}: release {release} to {environment} on 2 agent(s), wave 1 of 2 (groups east).", held.Error);
        Assert.Contains(", wave 1/2 Live", held.Error);

        var promoting = Cli.RunAsync("promote", id, "--wait", "--poll-interval", "50ms", "--timeout", "2m");
        await Eventually.ReadUntilAsync(() => Client.WavedPublicationOfAsync(release), p => p is { State: "Staging", CurrentWave: 1 }, "the CLI promoted");
        await west.HoldAsync(release);
        await west.SwitchAsync(release, (await Client.WavedPublicationOfAsync(release)).Waves![1].Generation!.Value);
        var promoted = await promoting;

        Assert.True(promoted.ExitCode == 0, promoted.ToString());
        Assert.StartsWith($"Release {release} is Live in {environment} (publication {staging.Id}", promoted.Out);
        Assert.StartsWith($"Promoted publish {staging.Id}: release {release} to {environment} on 2 agent(s), wave 2 of 2 (groups west).", promoted.Error);
        Assert.Equal(release, (await Client.EnvironmentAsync(environment)).LiveRelease?.Id);

        // Nothing holds any more: promote again is a conflict naming the state (exit 3).
        var again = await Cli.RunAsync("promote", id);
        Assert.True(again.ExitCode == 3, again.ToString());
        Assert.Contains("Live", again.Error);
    }

    [Fact]
    public async Task Abort_wait_puts_the_first_wave_back_and_exits_0_once_Aborted_with_the_reason_kept()
    {
        var (environment, east, west, versions) = await CliPublishTests.SetUpAsync(Client, seed: 32);
        var first = await CliPublishTests.CreateReleaseAsync(Cli, environment, versions);
        await Client.MakeLiveAsync(first, [east, west]);
        var second = await CliPublishTests.CreateReleaseAsync(Cli, environment, await Client.ImportCatalogueAsync(seed: 33));
        var id = second.ToString(CultureInfo.InvariantCulture);

        var started = await Cli.RunAsync("publish", id, "--waves", "east;west", "-q");
        Assert.True(started.ExitCode == 0, started.ToString());
        var publication = long.Parse(started.Out.Trim(), CultureInfo.InvariantCulture);
        await east.HoldAsync(second);
        await east.SwitchAsync(second, (await Client.WavedPublicationOfAsync(second)).Waves![0].Generation!.Value);
        Assert.Equal("Holding", (await Client.WavedPublicationOfAsync(second)).State);

        var aborting = Cli.RunAsync("abort", id, "--reason", "checkout errors in east", "--wait", "--poll-interval", "50ms", "--timeout", "2m");
        var back = await Eventually.ReadUntilAsync(() => east.DesiredAsync(), d => d.Live?.ReleaseId == first, "east is told to go back");
        await east.SwitchAsync(first, back.Live!.Generation);
        var run = await aborting;

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.StartsWith($"Aborting publish {publication}: release {second} to {environment}", run.Error);
        Assert.Contains($"Publication {publication} of release {second} is Aborted; {environment} serves what was live before (release {first}).", run.Out);
        var ended = await Client.WavedPublicationOfAsync(second);
        Assert.Equal("Aborted", ended.State);
        Assert.Contains("checkout errors in east", ended.Reason, StringComparison.Ordinal);
        Assert.Equal(first, (await Client.EnvironmentAsync(environment)).LiveRelease?.Id);
    }

    [Fact]
    public async Task Canary_and_hold_are_sent_as_the_wave_plan_and_a_hold_time_keeps_wait_going_past_the_first_wave()
    {
        var (environment, east, west, versions) = await CliPublishTests.SetUpAsync(Client, seed: 34);
        var release = await CliPublishTests.CreateReleaseAsync(Cli, environment, versions);

        var publishing = Cli.RunAsync("publish", release.ToString(CultureInfo.InvariantCulture), "--canary", "50", "--hold", "10m",
            "--wait", "--timeout", "3s", "--poll-interval", "50ms", "-o", "json");
        await Eventually.ReadUntilAsync(() => Client.ReleaseAsync(release), r => r.State == "Staging", "the CLI started the publication");
        var staging = await Client.WavedPublicationOfAsync(release);
        Assert.Equal([[east.Id], [west.Id]], staging.Waves!.Select(w => w.Agents));
        await east.HoldAsync(release);
        await east.SwitchAsync(release, (await Client.WavedPublicationOfAsync(release)).Waves![0].Generation!.Value);
        var holding = await Client.WavedPublicationOfAsync(release);
        Assert.Equal("Holding", holding.State);
        Assert.NotNull(holding.HoldUntil);
        var run = await publishing;

        // The hold timer promotes the next wave by itself, so --wait does not stop at Holding; here it times out (8).
        Assert.True(run.ExitCode == 8, run.ToString());
        using var json = JsonDocument.Parse(run.Out);
        Assert.Equal(("Holding", 50, 600), (json.RootElement.GetProperty("state").GetString(),
            json.RootElement.GetProperty("canaryPercent").GetInt32(), json.RootElement.GetProperty("holdSeconds").GetInt32()));
        Assert.Contains("is still Holding; it goes on.", run.Error);
    }

    [Theory]
    [InlineData("--waves", "east;west", "--canary", "10")]
    [InlineData("--hold", "10m")]
    [InlineData("--waves", "east;;west")]
    [InlineData("--waves", "east,;west")]
    [InlineData("--waves", "east;west", "--hold", "soon")]
    [InlineData("--emergency")]
    public async Task A_wave_plan_or_emergency_the_server_cannot_take_is_refused_before_sending_with_exit_2(params string[] options)
    {
        var (environment, _, _, versions) = await CliPublishTests.SetUpAsync(Client, seed: 35);
        var release = await CliPublishTests.CreateReleaseAsync(Cli, environment, versions);

        var run = await Cli.RunAsync(["publish", release.ToString(CultureInfo.InvariantCulture), .. options]);

        Assert.True(run.ExitCode == 2, run.ToString());
        Assert.StartsWith("error: ", run.Error);
        Assert.Equal("Pending", (await Client.ReleaseAsync(release)).State);
    }

    [Fact]
    public async Task An_unknown_group_in_a_wave_is_refused_by_the_server_with_exit_3_naming_the_field()
    {
        var (environment, _, _, versions) = await CliPublishTests.SetUpAsync(Client, seed: 36);
        var release = await CliPublishTests.CreateReleaseAsync(Cli, environment, versions);

        var run = await Cli.RunAsync("publish", release.ToString(CultureInfo.InvariantCulture), "--waves", "east;north");

        Assert.True(run.ExitCode == 3, run.ToString());
        Assert.Contains("error: 400 ", run.Error);
        Assert.Contains("waves[1][0]", run.Error);
        Assert.Equal("Pending", (await Client.ReleaseAsync(release)).State);
    }
}
