using System.Net;
using ControlPlane.Contracts;
using ControlPlane.Scheduling;
using ControlPlane.Tests.Releases;
using ControlPlane.Tests.Support;
using ControlPlane.Tests.Webhooks;
using ControlPlane.Webhooks;
using static ControlPlane.Tests.Scheduling.SchedulesApi;

namespace ControlPlane.Tests.Scheduling;

/// <summary>
/// A schedule's life on a fake clock: the test moves the clock and fires each step as Quartz would (on time, or late after
/// the control plane was down), while protocol-level agents stage, report and switch. No sleeps: what happens depends only
/// on the clock the test sets.
/// </summary>
public sealed class ScheduleRunTests(ScheduleClockFixture fixture) : IClassFixture<ScheduleClockFixture>
{
    private HttpClient Client => fixture.Client;

    private DateTimeOffset Now => fixture.Clock.GetUtcNow();

    /// <summary>An environment with two agents whose clocks agree with ours, release 1 live, release 2 ready to schedule.</summary>
    private async Task<Setup> SetupAsync(double offsetB = 3)
    {
        var environment = await Client.NewEnvironmentAsync("east", "west");
        var a = await TestAgent.RegisterAsync(Client, environment + "-a", environment, "east");
        var b = await TestAgent.RegisterAsync(Client, environment + "-b", environment, "west");
        a.ClockOffsetMs = -2;
        b.ClockOffsetMs = offsetB;
        var first = await Client.CreateReleaseAsync(environment, await Client.ImportCatalogueAsync(seed: 1));
        await Client.MakeLiveAsync(first, [a, b], holdFirst: true);
        var versions = await Client.ImportCatalogueAsync(seed: 2);
        var second = await Client.CreateReleaseAsync(environment, versions);
        return new Setup(environment, a, b, first, second, versions);
    }

    private sealed record Setup(string Environment, TestAgent A, TestAgent B, long Live, long Next, Dictionary<string, int> NextVersions)
    {
        public TestAgent[] Agents => [A, B];
    }

    private async Task AdvanceToAsync(DateTimeOffset instant)
    {
        var by = instant - Now;
        Assert.True(by >= TimeSpan.Zero, $"the clock cannot go back to {instant:O}");
        fixture.Clock.Advance(by);
        await Task.CompletedTask;
    }

    [Fact]
    public async Task Staged_ahead_armed_with_its_instant_switched_by_the_agents_then_reverted_to_exactly_what_was_live()
    {
        var setup = await SetupAsync();
        var activateAt = Now.AddHours(1);
        var schedule = await Client.CreateScheduleAsync(new { release = setup.Next, activateAt = Iso(activateAt), revertAt = Iso(activateAt.AddHours(1)) });

        // Edits after scheduling cannot leak in: a newer price version exists before the release is even staged.
        var newerPrice = (await Client.ImportCatalogueAsync(seed: 3))["price"];
        Assert.NotEqual(setup.NextVersions["price"], newerPrice);

        // Lead time: 10 minutes ahead, the release is staged on every agent; the publication waits at the barrier.
        await AdvanceToAsync(schedule.PrestageAt);
        await fixture.FireAsync(schedule.Id, ScheduleStep.Prestage);
        var staging = await Client.ScheduleAsync(schedule.Id);
        Assert.Equal(("Activating", "staging"), (staging.State, staging.Phase));
        Assert.Equal(activateAt, staging.Activation!.SwitchAt);
        var desired = await setup.A.DesiredAsync();
        Assert.Equal(setup.NextVersions, desired.Hold.Single(m => m.ReleaseId == setup.Next).Datasets.ToDictionary(d => d.Key, d => d.Value.Version));
        Assert.Equal(setup.Live, desired.Live!.ReleaseId);

        // Every agent holds it: the switch is armed with its instant, and the live release is unchanged.
        foreach (var agent in setup.Agents)
        {
            await agent.HoldAsync(setup.Next);
        }

        var armed = await Client.PublicationOfAsync(setup.Next);
        Assert.Equal("Switching", armed.State);
        desired = await setup.B.DesiredAsync();
        Assert.Equal(new SwitchOrder(setup.Next, armed.Generation!.Value, activateAt), desired.Live);
        Assert.Equal(setup.Live, (await Client.EnvironmentAsync(setup.Environment)).LiveRelease!.Id);
        await fixture.FollowUpAsync();
        var view = await Client.ScheduleAsync(schedule.Id);
        Assert.Equal(("Activating", "armed", false), (view.State, view.Phase, view.AtRisk));
        Assert.NotNull(view.Activation!.ArmedAt);

        // The instant: the trigger finds the agents holding the switch and leaves it to them; they switch and report.
        await AdvanceToAsync(activateAt);
        await fixture.FireAsync(schedule.Id, ScheduleStep.Activate);
        foreach (var agent in setup.Agents)
        {
            await agent.SwitchAsync(setup.Next, armed.Generation!.Value);
        }

        Assert.Equal("Live", (await Client.PublicationOfAsync(setup.Next)).State);
        await fixture.FollowUpAsync();
        var active = await Client.ScheduleAsync(schedule.Id);
        Assert.Equal("Active", active.State);
        Assert.Equal(setup.Live, active.PreviousReleaseId);
        Assert.Equal(0, active.ActivatedLateMs);

        // The revert is staged and armed the same way (release 1 is still hot: straight to armed), then switched.
        await AdvanceToAsync(active.RevertAt!.Value - active.LeadTime);
        await fixture.FireAsync(schedule.Id, ScheduleStep.PrestageRevert);
        var reverting = await Client.ScheduleAsync(schedule.Id);
        Assert.Equal(("Reverting", "revert-armed"), (reverting.State, reverting.Phase));
        Assert.Equal(setup.Live, reverting.Revert!.ReleaseId);
        var revertOrder = (await setup.A.DesiredAsync()).Live!;
        Assert.Equal((setup.Live, active.RevertAt), (revertOrder.ReleaseId, revertOrder.SwitchAt));

        await AdvanceToAsync(active.RevertAt!.Value);
        await fixture.FireAsync(schedule.Id, ScheduleStep.Revert);
        foreach (var agent in setup.Agents)
        {
            await agent.SwitchAsync(setup.Live, revertOrder.Generation);
        }

        await fixture.FollowUpAsync();
        var completed = await Client.ScheduleAsync(schedule.Id);
        Assert.Equal("Completed", completed.State);
        Assert.Equal(setup.Live, (await Client.EnvironmentAsync(setup.Environment)).LiveRelease!.Id);
        var history = string.Join(" | ", completed.Events!.Select(e => $"{e.Kind}: {e.Detail}"));
        Assert.True(
            completed.Events!.Select(e => e.Kind).SequenceEqual(
                ["created", "fired", "staging", "fired", "skipped", "live", "fired", "reverting", "fired", "skipped", "reverted", "completed"]),
            history);
    }

    [Fact]
    public async Task An_agent_whose_clock_is_off_blocks_arming_the_schedule_is_at_risk_and_the_control_plane_orders_the_switch_at_the_time()
    {
        var setup = await SetupAsync(offsetB: 900);
        var activateAt = Now.AddHours(1);
        var schedule = await Client.CreateScheduleAsync(new { release = setup.Next, activateAt = Iso(activateAt) });
        await AdvanceToAsync(schedule.PrestageAt);
        await fixture.FireAsync(schedule.Id, ScheduleStep.Prestage);
        foreach (var agent in setup.Agents)
        {
            await agent.HoldAsync(setup.Next);
        }

        var held = await Client.PublicationOfAsync(setup.Next);
        Assert.Equal("Staged", held.State);
        Assert.Contains($"agent {setup.B.Id} clock is +900 ms off", held.Reason, StringComparison.Ordinal);
        Assert.Null((await setup.A.DesiredAsync()).Live!.SwitchAt);
        Assert.Equal(setup.Live, (await setup.A.DesiredAsync()).Live!.ReleaseId);

        await fixture.FollowUpAsync();
        var atRisk = await Client.ScheduleAsync(schedule.Id);
        Assert.Equal(("staged-not-armed", true), (atRisk.Phase, atRisk.AtRisk));
        Assert.Contains(setup.B.Id, atRisk.AtRiskReason, StringComparison.Ordinal);
        Assert.Contains(atRisk.EventsOf("alert:at-risk"), e => e.Detail.Contains(setup.B.Id, StringComparison.Ordinal));
        Assert.True((await Client.AgentAsync(setup.Environment, setup.B.Id)).ClockSkewed);
        Assert.False((await Client.AgentAsync(setup.Environment, setup.A.Id)).ClockSkewed);

        // At the instant the control plane orders the switch itself (no instant in the order: switch at once), and says so.
        await AdvanceToAsync(activateAt);
        await fixture.FireAsync(schedule.Id, ScheduleStep.Activate);
        var switching = await Client.PublicationOfAsync(setup.Next);
        Assert.Equal("Switching", switching.State);
        Assert.Equal(new SwitchOrder(setup.Next, switching.Generation!.Value), (await setup.B.DesiredAsync()).Live);
        Assert.Single((await Client.ScheduleAsync(schedule.Id)).EventsOf("alert:switch-ordered"));
    }

    [Fact]
    public async Task A_trigger_late_within_the_lateness_limit_runs_at_once_and_says_it_is_late()
    {
        var setup = await SetupAsync();
        var activateAt = Now.AddHours(1);
        var schedule = await Client.CreateScheduleAsync(new { release = setup.Next, activateAt = Iso(activateAt) });

        // Down from before the pre-staging until 2 minutes after the activation time: the misfired trigger fires on recovery.
        await AdvanceToAsync(activateAt.AddMinutes(2));
        await fixture.FireAsync(schedule.Id, ScheduleStep.Prestage);
        var late = await Client.ScheduleAsync(schedule.Id);
        Assert.Equal("Activating", late.State);
        Assert.Null(late.Activation!.SwitchAt);
        Assert.Contains("120 s after its time", Assert.Single(late.EventsOf("alert:late")).Detail, StringComparison.Ordinal);

        // Straight to the switch once held, as a publish would.
        foreach (var agent in setup.Agents)
        {
            await agent.HoldAsync(setup.Next);
        }

        var publication = await Client.PublicationOfAsync(setup.Next);
        Assert.Equal("Switching", publication.State);
        Assert.Null((await setup.A.DesiredAsync()).Live!.SwitchAt);

        // The activation trigger fires too on recovery: nothing more happens.
        await fixture.FireAsync(schedule.Id, ScheduleStep.Activate);
        Assert.Equal(publication.Id, (await Client.ScheduleAsync(schedule.Id)).Activation!.Id);
    }

    [Fact]
    public async Task A_trigger_later_than_the_lateness_limit_marks_the_schedule_missed_with_an_alert_and_switches_nothing()
    {
        var setup = await SetupAsync();
        var subscription = await Client.SubscribeAsync(setup.Environment, "http://127.0.0.1:9/hooks", events: [ReleaseEventKinds.ScheduleMissed]);
        var activateAt = Now.AddHours(1);
        var schedule = await Client.CreateScheduleAsync(new { release = setup.Next, activateAt = Iso(activateAt), revertAt = Iso(activateAt.AddHours(2)) });

        await AdvanceToAsync(activateAt.AddMinutes(6));
        await fixture.FireAsync(schedule.Id, ScheduleStep.Prestage);
        await fixture.FireAsync(schedule.Id, ScheduleStep.Activate);
        var missed = await Client.ScheduleAsync(schedule.Id);
        Assert.Equal("Missed", missed.State);
        Assert.Contains("6 min after its time", missed.Reason, StringComparison.Ordinal);
        Assert.Single(missed.EventsOf("alert:missed"));
        var delivery = Assert.Single(await Client.DeliveriesAsync(setup.Environment, subscription.Webhook.Id));
        Assert.Equal((ReleaseEventKinds.ScheduleMissed, setup.Next), (delivery.Kind, delivery.ReleaseId));
        Assert.Null(missed.Activation);
        Assert.Equal("Pending", (await Client.ReleaseAsync(setup.Next)).State);
        Assert.Equal(setup.Live, (await Client.EnvironmentAsync(setup.Environment)).LiveRelease!.Id);

        // Its later steps find it over.
        await AdvanceToAsync(missed.RevertAt!.Value);
        await fixture.FireAsync(schedule.Id, ScheduleStep.Revert);
        Assert.Equal("Missed", (await Client.ScheduleAsync(schedule.Id)).State);
    }

    [Fact]
    public async Task A_staging_failure_before_the_activation_puts_the_schedule_at_risk_naming_the_agent()
    {
        var setup = await SetupAsync();
        var schedule = await Client.CreateScheduleAsync(new { release = setup.Next, activateAt = Iso(Now.AddHours(1)) });
        await AdvanceToAsync(schedule.PrestageAt);
        await fixture.FireAsync(schedule.Id, ScheduleStep.Prestage);

        setup.B.LastError = "READONLY You can't write against a read only replica.";
        await setup.B.StagingAsync(setup.Next, setup.NextVersions["price"], 5, 20);
        await fixture.FollowUpAsync();
        var view = await Client.ScheduleAsync(schedule.Id);
        Assert.True(view.AtRisk);
        Assert.Contains($"{setup.B.Id}: READONLY", view.AtRiskReason, StringComparison.Ordinal);
        Assert.Contains(view.EventsOf("alert:at-risk"), e => e.Detail.Contains("READONLY", StringComparison.Ordinal));

        // Recovered: the risk clears once the switch is armed.
        setup.B.LastError = null;
        foreach (var agent in setup.Agents)
        {
            await agent.HoldAsync(setup.Next);
        }

        await fixture.FollowUpAsync();
        view = await Client.ScheduleAsync(schedule.Id);
        Assert.Equal(("armed", false), (view.Phase, view.AtRisk));
    }

    [Fact]
    public async Task A_manual_publish_while_a_schedule_holds_the_environment_needs_confirmation_and_then_overrides_it()
    {
        var setup = await SetupAsync();
        var schedule = await Client.CreateScheduleAsync(new { release = setup.Next, activateAt = Iso(Now.AddHours(1)) });
        await AdvanceToAsync(schedule.PrestageAt);
        await fixture.FireAsync(schedule.Id, ScheduleStep.Prestage);
        foreach (var agent in setup.Agents)
        {
            await agent.HoldAsync(setup.Next);
        }

        var third = await Client.CreateReleaseAsync(setup.Environment, await Client.ImportCatalogueAsync(seed: 4));
        using (var refused = await Client.PostPublishAsync(third))
        {
            var problem = await Problem.ReadAsync(refused, HttpStatusCode.Conflict);
            Assert.Contains($"Schedule {schedule.Id}", problem.Detail, StringComparison.Ordinal);
            Assert.Contains("overrideSchedule=true", problem.Detail, StringComparison.Ordinal);
        }

        using (var rollback = await Client.PostRollbackAsync(setup.Environment))
        {
            await Problem.ReadAsync(rollback, HttpStatusCode.Conflict);
        }

        using var confirmed = await Client.PostAsync($"/api/v1/releases/{third}/publish?overrideSchedule=true", content: null);
        Assert.Equal(HttpStatusCode.Accepted, confirmed.StatusCode);
        var overridden = await Client.ScheduleAsync(schedule.Id);
        Assert.Equal("Overridden", overridden.State);
        Assert.Contains($"manual publish of release {third}", Assert.Single(overridden.EventsOf("overridden")).Detail, StringComparison.Ordinal);
        Assert.Equal("Aborted", (await Client.PublicationOfAsync(setup.Next)).State);
        Assert.Equal(third, (await setup.A.DesiredAsync()).Hold[0].ReleaseId);
    }

    [Fact]
    public async Task Cancelling_an_armed_schedule_calls_the_switch_off_and_orders_the_live_release_again_under_a_newer_generation()
    {
        var setup = await SetupAsync();
        var schedule = await Client.CreateScheduleAsync(new { release = setup.Next, activateAt = Iso(Now.AddHours(1)) });
        await AdvanceToAsync(schedule.PrestageAt);
        await fixture.FireAsync(schedule.Id, ScheduleStep.Prestage);
        foreach (var agent in setup.Agents)
        {
            await agent.HoldAsync(setup.Next);
        }

        var armedGeneration = (await Client.PublicationOfAsync(setup.Next)).Generation!.Value;
        var cancelled = await Client.CancelScheduleAsync(schedule.Id);
        Assert.Equal("Cancelled", cancelled.State);
        Assert.Contains("called off before anything switched", cancelled.Reason, StringComparison.Ordinal);
        Assert.Equal("Aborted", (await Client.PublicationOfAsync(setup.Next)).State);

        // An agent that missed the news and switched at the instant is brought back by the newer generation.
        var order = (await setup.A.DesiredAsync()).Live!;
        Assert.Equal(setup.Live, order.ReleaseId);
        Assert.True(order.Generation > armedGeneration, $"generation {order.Generation} must pass the armed {armedGeneration}");
        Assert.Null(order.SwitchAt);
    }
}
