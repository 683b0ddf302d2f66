using ControlPlane.Scheduling;
using ControlPlane.Tests.Support;
using Microsoft.Extensions.DependencyInjection;

namespace ControlPlane.Tests.Scheduling;

/// <summary>
/// Schedules on a clock that moves only when the test moves it, with no Quartz: the test fires each step itself through
/// <see cref="ScheduleEngine"/> (as Quartz would, on time or late) and runs the follow-up when it chooses. The background
/// follow-up ticks only once a minute (real time), so it does not race the test.
/// </summary>
public sealed class ScheduleClockFixture : ControlPlaneFixture
{
    public ManualTimeProvider Clock { get; } = new(FixedTimeProvider.Default);

    public override TimeProvider Time => Clock;

    public ScheduleEngine Engine => Factory.Services.GetRequiredService<ScheduleEngine>();

    protected override IEnumerable<KeyValuePair<string, string?>> Settings =>
    [
        new("Schedules:RunTriggers", "false"),
        new("Schedules:FollowUpInterval", "00:01:00"),
        new("Schedules:LeadTime", "00:10:00"),
        new("Schedules:Lateness", "00:05:00"),
        new("Agents:StaleAfterSeconds", "86400"),
        new("Publish:SweepInterval", "00:01:00"),
    ];

    /// <summary>Fires a step of the schedule's current occurrence now (the test's clock), as its trigger would.</summary>
    public async Task FireAsync(long scheduleId, ScheduleStep step)
    {
        var schedule = await Client.ScheduleAsync(scheduleId);
        await Engine.FireAsync(scheduleId, schedule.Occurrence, step, dueAt: null, instance: "test", CancellationToken.None);
    }

    public Task FollowUpAsync() => Engine.FollowUpAsync(CancellationToken.None);
}
