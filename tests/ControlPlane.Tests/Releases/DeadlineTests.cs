using ControlPlane.Contracts;
using ControlPlane.Tests.Support;

namespace ControlPlane.Tests.Releases;

/// <summary>
/// The stage deadline on a real clock: it passes while an agent has not staged, and the sweeper fails the publication.
/// The tests wait for the outcome; they assert nothing about how long it took.
/// </summary>
public sealed class StageDeadlineTests(StageDeadlineFixture fixture) : IClassFixture<StageDeadlineFixture>
{
    private HttpClient Client => fixture.Client;

    [Fact]
    public async Task An_agent_that_has_not_staged_by_the_deadline_fails_the_publication_and_nothing_changes_for_readers()
    {
        var environment = await Client.NewEnvironmentAsync("east", "west");
        var a = await TestAgent.RegisterAsync(Client, environment + "-a", environment, "east");
        var b = await TestAgent.RegisterAsync(Client, environment + "-b", environment, "west");
        var versions = await Client.ImportCatalogueAsync();
        var current = await Client.CreateReleaseAsync(environment, versions);
        var next = await Client.CreateReleaseAsync(environment, await Client.ImportCatalogueAsync(seed: 2));

        // Setup only: the current release goes live straight through the switch, the agents reporting it held before
        // it is published (real agents hold only what they are told to), so that this setup does not race the 1 s
        // stage deadline.
        var currentLive = await Client.MakeLiveAsync(current, [a, b], holdFirst: true);
        await Client.PublishAsync(next);
        await a.HoldAsync(next);
        b.LastError = "OOM command not allowed when used memory > 'maxmemory'";
        await b.StagingAsync(next, versions["price"], staged: 3, total: 20);

        var failed = await Eventually.ReadUntilAsync(() => Client.PublicationOfAsync(next), p => p.State != "Staging", "the stage deadline passed");

        Assert.Equal("Failed", failed.State);
        Assert.Null(failed.Generation);
        Assert.NotNull(failed.EndedAt);
        Assert.Contains(b.Id, failed.Reason, StringComparison.Ordinal);
        Assert.Contains(b.LastError, failed.Reason, StringComparison.Ordinal);
        var view = await Client.EnvironmentAsync(environment);
        Assert.Equal(current, view.LiveRelease?.Id);
        Assert.Equal(currentLive.Generation, view.Generation);
        Assert.Null(view.InFlight);
        var desired = await a.DesiredAsync();
        Assert.DoesNotContain(next, desired.Hold.Select(h => h.ReleaseId));
        Assert.Equal(new SwitchOrder(current, currentLive.Generation!.Value), desired.Live);

        // A failed publication leaves room for the next attempt.
        Assert.Equal("Staging", (await Client.PublishAsync(next)).State);
    }
}

/// <summary>
/// The switch deadline on a real clock: it passes while an agent has not switched, the publication turns Partial, and
/// the agent's late switch still completes it.
/// </summary>
public sealed class SwitchDeadlineTests(SwitchDeadlineFixture fixture) : IClassFixture<SwitchDeadlineFixture>
{
    private HttpClient Client => fixture.Client;

    [Fact]
    public async Task An_agent_that_has_not_switched_by_the_deadline_leaves_the_publication_partial_until_it_does()
    {
        var environment = await Client.NewEnvironmentAsync("east", "west");
        var a = await TestAgent.RegisterAsync(Client, environment + "-a", environment, "east");
        var b = await TestAgent.RegisterAsync(Client, environment + "-b", environment, "west");
        var release = await Client.CreateReleaseAsync(environment, await Client.ImportCatalogueAsync());
        await Client.PublishAsync(release);
        await a.HoldAsync(release);
        await b.HoldAsync(release);
        var switching = await Client.PublicationOfAsync(release);
        Assert.Equal("Switching", switching.State);
        var generation = switching.Generation!.Value;
        await a.SwitchAsync(release, generation);
        b.LastError = "READONLY You can't write against a read only replica.";
        await b.ReportAsync();

        var partial = await Eventually.ReadUntilAsync(() => Client.PublicationOfAsync(release), p => p.State != "Switching", "the switch deadline passed");

        Assert.Equal("Partial", partial.State);
        Assert.Contains(b.Id, partial.Reason, StringComparison.Ordinal);
        Assert.Contains(b.LastError, partial.Reason, StringComparison.Ordinal);
        Assert.Equal(partial.Id, (await Client.EnvironmentAsync(environment)).Partial?.Id);

        // The agent that did not switch is still told to, at the same generation.
        Assert.Equal(new SwitchOrder(release, generation), (await b.DesiredAsync()).Live);
        b.LastError = null;
        await b.SwitchAsync(release, generation);

        var live = await Client.PublicationOfAsync(release);
        Assert.Equal("Live", live.State);
        Assert.Null(live.Reason);
        var view = await Client.EnvironmentAsync(environment);
        Assert.Equal(release, view.LiveRelease?.Id);
        Assert.Null(view.Partial);
    }
}
