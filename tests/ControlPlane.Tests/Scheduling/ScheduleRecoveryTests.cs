using System.Net.Http.Json;
using ControlPlane.Releases;
using ControlPlane.Scheduling;
using ControlPlane.Tests.Releases;
using ControlPlane.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using static ControlPlane.Tests.Scheduling.SchedulesApi;

namespace ControlPlane.Tests.Scheduling;

/// <summary>
/// Recurring windows, recovery and the revert's release kept hot, on a fake clock, with protocol-level agents: the test moves the clock, fires each step
/// as Quartz would and runs the follow-up itself. No sleeps.
/// </summary>
public sealed class ScheduleRecoveryTests(ScheduleClockFixture fixture) : IClassFixture<ScheduleClockFixture>
{
    private HttpClient Client => fixture.Client;

    private DateTimeOffset Now => fixture.Clock.GetUtcNow();

    private async Task<(string Environment, TestAgent[] Agents, long Live, long Next)> SetupAsync()
    {
        var environment = await Client.NewEnvironmentAsync("east", "west");
        TestAgent[] agents =
        [
            await TestAgent.RegisterAsync(Client, environment + "-a", environment, "east"),
            await TestAgent.RegisterAsync(Client, environment + "-b", environment, "west"),
        ];

        // Clocks that agree with the control plane's (the test's clock is not the agents' wall clock), so switches are armed.
        (agents[0].ClockOffsetMs, agents[1].ClockOffsetMs) = (-2, 3);
        var live = await Client.CreateReleaseAsync(environment, await Client.ImportCatalogueAsync(seed: 1));
        await Client.MakeLiveAsync(live, agents, holdFirst: true);
        var next = await Client.CreateReleaseAsync(environment, await Client.ImportCatalogueAsync(seed: 2));
        return (environment, agents, live, next);
    }

    private void AdvanceTo(DateTimeOffset instant)
    {
        Assert.True(instant >= Now, $"the clock cannot go back to {instant:O}");
        fixture.Clock.Advance(instant - Now);
    }

    private Task<long> PublicationsOfAsync(long scheduleId) =>
        fixture.Database.ScalarAsync<long>($"SELECT count(*) FROM publications WHERE schedule_id = {scheduleId}");

    [Fact]
    public async Task A_recurring_window_activates_and_reverts_twice_in_a_row_then_waits_for_its_third_firing()
    {
        var (environment, agents, live, next) = await SetupAsync();
        var created = await Client.CreateScheduleAsync(new { release = next, recurring = new { cron = "0 0 20 * * ?", duration = "02:00:00" } });
        var firstAt = created.ActivateAt;
        Assert.Equal((20, 0, 0), (firstAt.UtcDateTime.Hour, firstAt.Minute, firstAt.Second));

        for (var occurrence = 1; occurrence <= 2; occurrence++)
        {
            var schedule = await Client.ScheduleAsync(created.Id);
            Assert.Equal(("Scheduled", occurrence), (schedule.State, schedule.Occurrence));
            Assert.Equal((firstAt.AddDays(occurrence - 1), firstAt.AddDays(occurrence - 1).AddHours(2)), (schedule.ActivateAt, schedule.RevertAt!.Value));

            // Pre-staging, then armed once every agent holds the release; the agents switch at the instant.
            AdvanceTo(schedule.PrestageAt);
            await fixture.FireAsync(created.Id, ScheduleStep.Prestage);
            foreach (var agent in agents)
            {
                await agent.HoldAsync(next);
            }

            var armed = await Client.PublicationOfAsync(next);
            Assert.Equal("Switching", armed.State);
            AdvanceTo(schedule.ActivateAt);
            await fixture.FireAsync(created.Id, ScheduleStep.Activate);
            foreach (var agent in agents)
            {
                await agent.SwitchAsync(next, armed.Generation!.Value);
            }

            await fixture.FollowUpAsync();
            var active = await Client.ScheduleAsync(created.Id);
            Assert.Equal(("Active", occurrence, live), (active.State, active.Occurrence, active.PreviousReleaseId));
            Assert.Equal(next, (await Client.EnvironmentAsync(environment)).LiveRelease!.Id);

            // The window's end: back to exactly what was live before, armed ahead like the activation.
            AdvanceTo(active.RevertAt!.Value - active.LeadTime);
            await fixture.FireAsync(created.Id, ScheduleStep.PrestageRevert);
            Assert.Equal("Reverting", (await Client.ScheduleAsync(created.Id)).State);
            var revertOrder = (await agents[0].DesiredAsync()).Live!;
            Assert.Equal((live, active.RevertAt), (revertOrder.ReleaseId, revertOrder.SwitchAt));
            AdvanceTo(active.RevertAt!.Value);
            await fixture.FireAsync(created.Id, ScheduleStep.Revert);
            foreach (var agent in agents)
            {
                await agent.SwitchAsync(live, revertOrder.Generation);
            }

            await fixture.FollowUpAsync();
            Assert.Equal(live, (await Client.EnvironmentAsync(environment)).LiveRelease!.Id);
        }

        // Two windows done, each with one activation and one revert; the next evening is planned.
        var third = await Client.ScheduleAsync(created.Id);
        Assert.Equal(("Scheduled", 3, firstAt.AddDays(2)), (third.State, third.Occurrence, third.ActivateAt));
        Assert.Equal(2, third.EventsOf("live").Count());
        Assert.Equal(2, third.EventsOf("reverted").Count());
        Assert.DoesNotContain(third.Events!, e => e.Kind.StartsWith("alert:", StringComparison.Ordinal));
        Assert.Equal(4, await PublicationsOfAsync(created.Id));
    }

    [Fact]
    public async Task A_step_whose_publication_committed_but_not_the_schedule_is_taken_up_on_recovery_not_started_twice()
    {
        var (environment, agents, live, next) = await SetupAsync();
        var activateAt = Now.AddHours(1);
        var schedule = await Client.CreateScheduleAsync(new { release = next, activateAt = Iso(activateAt), revertAt = Iso(activateAt.AddHours(1)) });

        // The pre-staging step starts its publication (the coordinator's transaction commits) and the instance dies before
        // the schedule's own transaction records it: exactly the publication the engine starts, and nothing more.
        AdvanceTo(schedule.PrestageAt);
        var coordinator = fixture.Factory.Services.GetRequiredService<PublicationCoordinator>();
        var outcome = await coordinator.StartAsync(next, "publish", $"schedule {schedule.Id}", CancellationToken.None,
            new ScheduledStart(schedule.Id, activateAt, activateAt.AddMinutes(5)));
        var orphan = Assert.IsType<PublishOutcome.Started>(outcome).Publication;
        var unaware = await Client.ScheduleAsync(schedule.Id);
        Assert.Equal(("Scheduled", null), (unaware.State, unaware.Activation));

        // Every control plane instance stays down (for the schedules) past the lateness limit; the agents held the armed switch
        // and switched at the instant by themselves.
        foreach (var agent in agents)
        {
            await agent.HoldAsync(next);
        }

        var armed = await Client.PublicationOfAsync(next);
        Assert.Equal((orphan.Id, "Switching"), (armed.Id, armed.State));
        AdvanceTo(activateAt);
        foreach (var agent in agents)
        {
            await agent.SwitchAsync(next, armed.Generation!.Value);
        }

        AdvanceTo(activateAt.AddMinutes(6));

        // Recovery: both misfired triggers fire, and the follow-up runs. The schedule follows the publication it had started:
        // not Missed (the release did go live), not started again.
        await fixture.FireAsync(schedule.Id, ScheduleStep.Prestage);
        await fixture.FireAsync(schedule.Id, ScheduleStep.Activate);
        await fixture.FollowUpAsync();
        var active = await Client.ScheduleAsync(schedule.Id);
        Assert.Equal(("Active", orphan.Id, live), (active.State, active.Activation!.Id, active.PreviousReleaseId));
        Assert.Single(active.EventsOf("adopted"));
        Assert.Empty(active.EventsOf("alert:missed"));
        Assert.Equal(1, await PublicationsOfAsync(schedule.Id));
        Assert.Equal(next, (await Client.EnvironmentAsync(environment)).LiveRelease!.Id);

        // The revert's pre-staging is interrupted the same way: its publication (back to what was live) committed, the
        // schedule still Active. The firing on recovery takes it up instead of starting a second rollback.
        AdvanceTo(active.RevertAt!.Value - active.LeadTime);
        var revertOutcome = await coordinator.StartAsync(live, "rollback", $"schedule {schedule.Id}", CancellationToken.None,
            new ScheduledStart(schedule.Id, active.RevertAt, active.RevertAt!.Value.AddMinutes(5)));
        var revertOrphan = Assert.IsType<PublishOutcome.Started>(revertOutcome).Publication;
        Assert.Equal("Active", (await Client.ScheduleAsync(schedule.Id)).State);
        await fixture.FireAsync(schedule.Id, ScheduleStep.PrestageRevert);
        var reverting = await Client.ScheduleAsync(schedule.Id);
        Assert.Equal(("Reverting", revertOrphan.Id), (reverting.State, reverting.Revert!.Id));
        Assert.Equal(2, reverting.EventsOf("adopted").Count());
        var revertOrder = (await agents[0].DesiredAsync()).Live!;
        Assert.Equal((live, active.RevertAt), (revertOrder.ReleaseId, revertOrder.SwitchAt));
        AdvanceTo(active.RevertAt!.Value);
        await fixture.FireAsync(schedule.Id, ScheduleStep.Revert);
        foreach (var agent in agents)
        {
            await agent.SwitchAsync(live, revertOrder.Generation);
        }

        await fixture.FollowUpAsync();
        Assert.Equal("Completed", (await Client.ScheduleAsync(schedule.Id)).State);
        Assert.Equal(live, (await Client.EnvironmentAsync(environment)).LiveRelease!.Id);
        Assert.Equal(2, await PublicationsOfAsync(schedule.Id));
    }

    [Fact]
    public async Task The_release_a_window_reverts_to_stays_held_by_the_agents_even_when_the_hot_policy_keeps_none()
    {
        var (environment, agents, live, next) = await SetupAsync();
        using (var put = await Client.PutAsJsonAsync($"/api/v1/environments/{environment}/tiers/policy", new { hotReleases = 0 }, Http.Json))
        {
            Assert.Equal(System.Net.HttpStatusCode.OK, put.StatusCode);
        }

        var activateAt = Now.AddHours(1);
        var schedule = await Client.CreateScheduleAsync(new { release = next, activateAt = Iso(activateAt), revertAt = Iso(activateAt.AddHours(1)) });
        AdvanceTo(schedule.PrestageAt);
        await fixture.FireAsync(schedule.Id, ScheduleStep.Prestage);
        foreach (var agent in agents)
        {
            await agent.HoldAsync(next);
        }

        var armed = await Client.PublicationOfAsync(next);
        AdvanceTo(activateAt);
        await fixture.FireAsync(schedule.Id, ScheduleStep.Activate);
        foreach (var agent in agents)
        {
            await agent.SwitchAsync(next, armed.Generation!.Value);
        }

        // Live, and the schedule not yet moved on: no moment where the agents are told to drop what the revert needs.
        Assert.Equal([next, live], (await agents[0].DesiredAsync()).Hold.Select(h => h.ReleaseId));
        await fixture.FollowUpAsync();
        Assert.Equal("Active", (await Client.ScheduleAsync(schedule.Id)).State);
        Assert.Equal([next, live], (await agents[1].DesiredAsync()).Hold.Select(h => h.ReleaseId));

        // Once the window is over, the hot policy alone decides again: only the live release.
        AdvanceTo(activateAt.AddHours(1) - schedule.LeadTime);
        await fixture.FireAsync(schedule.Id, ScheduleStep.PrestageRevert);
        var revertOrder = (await agents[0].DesiredAsync()).Live!;
        AdvanceTo(activateAt.AddHours(1));
        await fixture.FireAsync(schedule.Id, ScheduleStep.Revert);
        foreach (var agent in agents)
        {
            await agent.SwitchAsync(live, revertOrder.Generation);
        }

        await fixture.FollowUpAsync();
        Assert.Equal("Completed", (await Client.ScheduleAsync(schedule.Id)).State);
        Assert.Equal([live], (await agents[0].DesiredAsync()).Hold.Select(h => h.ReleaseId));
    }
}
