using ControlPlane.Tests.Support;

namespace ControlPlane.Tests.Releases;

/// <summary>The state machine lives in PostgreSQL: a control plane restarted mid-publication carries on where it was.</summary>
public sealed class RestartTests(ControlPlaneFixture fixture) : IClassFixture<ControlPlaneFixture>
{
    [Fact]
    public async Task A_publication_started_before_a_restart_goes_live_after_it()
    {
        var client = fixture.Client;
        var environment = await client.NewEnvironmentAsync("east", "west");
        var a = new TestAgent(() => fixture.Client, environment + "-a", environment, "east");
        var b = new TestAgent(() => fixture.Client, environment + "-b", environment, "west");
        await a.RegisterAsync();
        await b.RegisterAsync();
        var release = await client.CreateReleaseAsync(environment, await client.ImportCatalogueAsync());
        var started = await client.PublishAsync(release);
        await a.HoldAsync(release);

        await fixture.RestartAsync();

        var afterRestart = await fixture.Client.PublicationOfAsync(release);
        Assert.Equal((started.Id, "Staging", "Staged"), (afterRestart.Id, afterRestart.State, afterRestart.Agent(a.Id).Phase));
        Assert.Equal([release], (await b.DesiredAsync()).Hold.Select(h => h.ReleaseId));
        await b.HoldAsync(release);
        var switching = await fixture.Client.PublicationOfAsync(release);
        Assert.Equal("Switching", switching.State);
        await a.SwitchAsync(release, switching.Generation!.Value);
        await b.SwitchAsync(release, switching.Generation!.Value);
        Assert.Equal("Live", (await fixture.Client.ReleaseAsync(release)).State);
        Assert.Equal(release, (await fixture.Client.EnvironmentAsync(environment)).LiveRelease?.Id);
    }
}
