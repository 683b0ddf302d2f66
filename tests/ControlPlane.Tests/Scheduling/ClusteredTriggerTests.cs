using ControlPlane.Tests.Releases;
using ControlPlane.Tests.Support;
using Microsoft.AspNetCore.Mvc.Testing;
using static ControlPlane.Tests.Scheduling.SchedulesApi;

namespace ControlPlane.Tests.Scheduling;

/// <summary>Two control plane instances on one database: Quartz's clustered store fires each step of each schedule once.</summary>
public sealed class ClusteredTriggerTests : IAsyncLifetime
{
    private TestDatabase? _database;
    private readonly List<ControlPlaneFactory> _instances = [];

    public async Task InitializeAsync()
    {
        _database = await TestDatabase.CreateAsync();
        for (var i = 0; i < 2; i++)
        {
            var factory = new ControlPlaneFactory(new Dictionary<string, string?>
            {
                ["Database:ConnectionString"] = _database.ConnectionString,
                ["Database:MigrateOnStart"] = "true",
                ["Publish:SweepInterval"] = "00:00:00.200",
                ["Identity:BootstrapAdminToken"] = ControlPlaneFixture.AdminToken,
                // Trigger mechanics: the generated catalogue's guardrail warnings are nobody's to acknowledge here.
                ["Guardrails:RequireAcknowledgement"] = "false",
            }, TimeProvider.System);
            _ = factory.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false });
            _instances.Add(factory);
        }
    }

    [Fact]
    public async Task With_two_instances_running_every_trigger_fires_exactly_once()
    {
        var client = Authorized(_instances[0].CreateClient());
        var other = Authorized(_instances[1].CreateClient());
        var releases = new List<long>();
        for (var i = 0; i < 4; i++)
        {
            // No agents: nothing to arm, so the control plane switches at the instant (its own trigger).
            var environment = await client.NewEnvironmentAsync("east");
            releases.Add(await client.CreateReleaseAsync(environment, await client.ImportCatalogueAsync(seed: 10 + i)));
        }

        // The instant is taken once the releases exist, so a slow setup on a busy machine cannot put it in the past.
        var activateAt = DateTimeOffset.UtcNow.AddSeconds(6);
        var schedules = new List<long>();
        for (var i = 0; i < 4; i++)
        {
            var creator = i % 2 == 0 ? client : other;
            schedules.Add((await creator.CreateScheduleAsync(new { release = releases[i], activateAt = Iso(activateAt), leadTime = "00:00:02" })).Id);
        }

        foreach (var id in schedules)
        {
            var done = await Eventually.ReadUntilAsync(() => client.ScheduleAsync(id), s => s.State is not ("Scheduled" or "Activating"), $"schedule {id} completes");
            Assert.Equal("Completed", done.State);
            var fired = done.EventsOf("fired").ToList();
            Assert.Equal(2, fired.Count);
            Assert.Single(fired, e => e.Detail.StartsWith("Prestage", StringComparison.Ordinal));
            Assert.Single(fired, e => e.Detail.StartsWith("Activate", StringComparison.Ordinal));
        }

        Assert.Equal(2L, await _database!.ScalarAsync<long>("SELECT count(*) FROM qrtz_scheduler_state"));
    }

    private static HttpClient Authorized(HttpClient client)
    {
        client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", ControlPlaneFixture.AdminToken);
        return client;
    }

    public async Task DisposeAsync()
    {
        foreach (var instance in _instances)
        {
            await instance.DisposeAsync();
        }

        if (_database is not null)
        {
            await _database.DisposeAsync();
        }
    }
}
