using System.Globalization;
using ControlPlane.Tests.Releases;
using ControlPlane.Tests.Support;

namespace ControlPlane.Tests.Cli;

/// <summary>publish --wait when agents never stage (Failed, exit 6): a stage deadline of 1 s on a real clock.</summary>
public sealed class CliFailedPublishTests(StageDeadlineFixture fixture) : IClassFixture<StageDeadlineFixture>
{
    [Fact]
    public async Task Publish_wait_exits_6_with_the_reason_when_the_publication_fails()
    {
        var (environment, east, _, versions) = await CliPublishTests.SetUpAsync(fixture.Client, seed: 21);
        var cli = new CliHarness(fixture);
        var release = await CliPublishTests.CreateReleaseAsync(cli, environment, versions);
        await east.HoldAsync(release - 1000);

        var run = await cli.RunAsync("publish", release.ToString(CultureInfo.InvariantCulture), "--wait", "--poll-interval", "100ms", "--timeout", "1m");

        Assert.True(run.ExitCode == 6, run.ToString());
        var publication = await fixture.Client.PublicationOfAsync(release);
        Assert.Equal("Failed", publication.State);
        Assert.Contains($"Publication {publication.Id} Failed; nothing was switched.", run.Error);
        Assert.Contains("reason: " + publication.Reason, run.Error);
        Assert.Contains($"  agent {east.Id} (east): Waiting", run.Error);
        Assert.Equal("", run.Out);
    }
}

/// <summary>publish --wait when agents stage but never switch (Partial, exit 7): a switch deadline of 1 s.</summary>
public sealed class CliPartialPublishTests(SwitchDeadlineFixture fixture) : IClassFixture<SwitchDeadlineFixture>
{
    [Fact]
    public async Task Publish_wait_exits_7_when_agents_do_not_switch_and_names_the_rollback()
    {
        var (environment, east, west, versions) = await CliPublishTests.SetUpAsync(fixture.Client, seed: 22);
        var cli = new CliHarness(fixture);
        var release = await CliPublishTests.CreateReleaseAsync(cli, environment, versions);

        var publishing = cli.RunAsync("publish", release.ToString(CultureInfo.InvariantCulture), "--wait", "--poll-interval", "100ms", "--timeout", "1m");
        await Eventually.ReadUntilAsync(() => fixture.Client.ReleaseAsync(release), r => r.State == "Staging", "the CLI started the publication");
        await east.HoldAsync(release);
        await west.HoldAsync(release);
        var run = await publishing;

        Assert.True(run.ExitCode == 7, run.ToString());
        var publication = await fixture.Client.PublicationOfAsync(release);
        Assert.Equal("Partial", publication.State);
        Assert.Contains($"Publication {publication.Id} is Partial: some agents did not switch; they keep retrying. Roll back with: cpctl rollback --env {environment}", run.Error);
        Assert.Contains($"  agent {east.Id} (east): Staged", run.Error);
    }
}
