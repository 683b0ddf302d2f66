using System.Text.Json;
using ControlPlane.Scheduling;
using ControlPlane.Tests.Releases;
using ControlPlane.Tests.Support;
using ControlPlane.Tests.Webhooks;
using ControlPlane.Webhooks;
using Microsoft.Extensions.DependencyInjection;
using static ControlPlane.Tests.Scheduling.SchedulesApi;

namespace ControlPlane.Tests.Scheduling;

/// <summary>
/// Real time, so the webhook dispatcher delivers; no Quartz: the test fires the pre-staging itself and runs the follow-up
/// when it chooses (the background one ticks once a minute).
/// </summary>
public sealed class ScheduleWebhookFixture : ControlPlaneFixture
{
    public override TimeProvider Time => TimeProvider.System;

    public ScheduleEngine Engine => Factory.Services.GetRequiredService<ScheduleEngine>();

    protected override IEnumerable<KeyValuePair<string, string?>> Settings =>
    [
        .. WebhookFixture.WebhookSettings,
        new("Schedules:RunTriggers", "false"),
        new("Schedules:FollowUpInterval", "00:01:00"),
        new("Agents:StaleAfterSeconds", "86400"),
        new("Publish:SweepInterval", "00:01:00"),
    ];
}

/// <summary>A schedule's alerts reach webhook subscribers as release events, signed and delivered like any other.</summary>
public sealed class ScheduleWebhookTests(ScheduleWebhookFixture fixture) : IClassFixture<ScheduleWebhookFixture>
{
    private HttpClient Client => fixture.Client;

    [Fact]
    public async Task A_staging_failure_before_the_activation_is_posted_to_subscribers_as_schedule_at_risk()
    {
        await using var receiver = await WebhookReceiver.StartAsync(_ => 204);
        var environment = await Client.NewEnvironmentAsync("east", "west");
        var subscription = await Client.SubscribeAsync(environment, receiver.Url, "a secret of the schedule receiver",
            [ReleaseEventKinds.ScheduleAtRisk, ReleaseEventKinds.ScheduleMissed]);
        var a = await TestAgent.RegisterAsync(Client, environment + "-a", environment, "east");
        var b = await TestAgent.RegisterAsync(Client, environment + "-b", environment, "west");
        var live = await Client.CreateReleaseAsync(environment, await Client.ImportCatalogueAsync(seed: 1));
        await Client.MakeLiveAsync(live, [a, b], holdFirst: true);
        var versions = await Client.ImportCatalogueAsync(seed: 2);
        var next = await Client.CreateReleaseAsync(environment, versions);
        var schedule = await Client.CreateScheduleAsync(new { release = next, activateAt = Iso(DateTimeOffset.UtcNow.AddHours(1)) });

        await fixture.Engine.FireAsync(schedule.Id, schedule.Occurrence, ScheduleStep.Prestage, dueAt: null, instance: "test", CancellationToken.None);
        b.LastError = "READONLY You can't write against a read only replica.";
        await b.StagingAsync(next, versions["price"], 5, 20);
        await fixture.Engine.FollowUpAsync(CancellationToken.None);

        var received = await Eventually.ReadUntilAsync(() => Task.FromResult(receiver.Received.ToList()), r => r.Count >= 1, "the at-risk alert was delivered");
        var delivery = Assert.Single(received);
        Assert.Equal(ReleaseEventKinds.ScheduleAtRisk, delivery.Headers["X-Webhook-Event"]);
        using var body = JsonDocument.Parse(delivery.Body);
        var root = body.RootElement;
        Assert.Equal((ReleaseEventKinds.ScheduleAtRisk, environment, next),
            (root.GetProperty("kind").GetString(), root.GetProperty("environment").GetString(), root.GetProperty("releaseId").GetInt64()));
        var data = root.GetProperty("data");
        Assert.Equal(schedule.Id, data.GetProperty("scheduleId").GetInt64());
        Assert.Equal("at-risk", data.GetProperty("alert").GetString());
        Assert.Contains($"{b.Id}: READONLY", data.GetProperty("message").GetString(), StringComparison.Ordinal);

        // The same alert is in the schedule's history, and the delivery in the subscription's log.
        Assert.Contains((await Client.ScheduleAsync(schedule.Id)).EventsOf("alert:at-risk"), e => e.Detail.Contains("READONLY", StringComparison.Ordinal));
        var logged = Assert.Single(await Client.DeliveriesAsync(environment, subscription.Webhook.Id));
        Assert.Equal((ReleaseEventKinds.ScheduleAtRisk, next, DeliveryStates.Delivered), (logged.Kind, logged.ReleaseId, logged.State));
    }
}
