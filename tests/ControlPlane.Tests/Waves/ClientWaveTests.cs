using ControlPlane.Client;
using ControlPlane.Tests.Releases;
using ControlPlane.Tests.Support;

namespace ControlPlane.Tests.Waves;

/// <summary>The typed client publishes in waves, reads the waves, promotes and aborts.</summary>
public sealed class ClientWaveTests(ControlPlaneFixture fixture) : IClassFixture<ControlPlaneFixture>
{
    private HttpClient Client => fixture.Client;

    private ControlPlaneClient Api => new(Client);

    [Fact]
    public async Task The_client_publishes_a_canary_promotes_it_and_aborts_the_next_one_with_a_reason()
    {
        var environment = await Client.NewEnvironmentAsync("pool");
        var a = await TestAgent.RegisterAsync(Client, environment + "-a", environment, "pool");
        var b = await TestAgent.RegisterAsync(Client, environment + "-b", environment, "pool");
        var first = await Client.CreateReleaseAsync(environment, await Client.ImportCatalogueAsync(seed: 11));
        await Client.MakeLiveAsync(first, [a, b]);
        var second = await Client.CreateReleaseAsync(environment, await Client.ImportCatalogueAsync(seed: 12));

        var started = await Api.PublishAsync(second, new PublishRequest(CanaryPercent: 50));
        Assert.Equal([[a.Id], [b.Id]], started.Waves!.Select(w => w.Agents));
        await a.HoldAsync(second);
        var canary = await Api.GetPublicationAsync(started.Id);
        Assert.Equal(PublicationStates.Switching, canary.State);
        await a.SwitchAsync(second, canary.Waves![0].Generation!.Value);
        var holding = await Api.GetPublicationAsync(started.Id);
        Assert.Equal((PublicationStates.Holding, true), (holding.State, holding.IsInFlight));

        var promoted = await Api.PromoteAsync(second);
        Assert.Equal((PublicationStates.Staging, 1), (promoted.State, promoted.CurrentWave));
        var conflict = await Assert.ThrowsAsync<ApiProblemException>(() => Api.PromoteAsync(second));
        Assert.Equal(409, conflict.Status);
        Assert.Contains("Staging", conflict.Problem.Detail, StringComparison.Ordinal);

        var aborting = await Api.AbortAsync(second, "checkout errors");
        Assert.Equal(PublicationStates.Aborting, aborting.State);
        Assert.Contains("checkout errors", aborting.Reason, StringComparison.Ordinal);
    }
}
