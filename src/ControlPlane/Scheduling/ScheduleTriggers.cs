using System.Globalization;
using Microsoft.Extensions.Options;
using Quartz;

namespace ControlPlane.Scheduling;

/// <summary>Puts in place (or removes) the triggers that fire a schedule's steps at their times.</summary>
public interface IScheduleTriggers
{
    /// <summary>Plans the triggers of the schedule's current occurrence, replacing earlier ones; true when they are in place.</summary>
    Task<bool> PlanAsync(ScheduleRow schedule, DateTimeOffset now, CancellationToken cancellationToken);

    Task RemoveAsync(long scheduleId, CancellationToken cancellationToken);
}

/// <summary>
/// Quartz triggers in the clustered ADO job store (PostgreSQL): one simple trigger per step, grouped per schedule. The
/// store hands each firing to exactly one instance; a trigger that could not fire in time (every instance down) fires on
/// recovery (misfire: fire now), and <see cref="ScheduleDecisions"/> judges how late it is.
/// </summary>
public sealed class QuartzScheduleTriggers(ISchedulerFactory schedulers, IOptions<ScheduleOptions> options) : IScheduleTriggers
{
    public static readonly JobKey Job = new("schedule-step", "schedules");

    public async Task<bool> PlanAsync(ScheduleRow schedule, DateTimeOffset now, CancellationToken cancellationToken)
    {
        if (!options.Value.RunTriggers)
        {
            // Whoever drives the engine fires the steps (tests on a fake clock).
            return true;
        }

        var scheduler = await schedulers.GetScheduler(cancellationToken);
        await RemoveAsync(scheduler, schedule.Id, cancellationToken);
        foreach (var step in Enum.GetValues<ScheduleStep>())
        {
            if (schedule.DueAt(step) is not { } due || (due < now && schedule.State != ScheduleStates.Scheduled))
            {
                // Steps already behind an occurrence in progress are not fired again.
                continue;
            }

            var trigger = TriggerBuilder.Create()
                .WithIdentity($"s{schedule.Id}-o{schedule.Occurrence}-{step}", Group(schedule.Id))
                .ForJob(Job)
                .UsingJobData(ScheduleStepJob.ScheduleIdKey, schedule.Id.ToString(CultureInfo.InvariantCulture))
                .UsingJobData(ScheduleStepJob.OccurrenceKey, schedule.Occurrence.ToString(CultureInfo.InvariantCulture))
                .UsingJobData(ScheduleStepJob.StepKey, step.ToString())
                .UsingJobData(ScheduleStepJob.DueAtKey, due.UtcTicks.ToString(CultureInfo.InvariantCulture))
                .StartAt(due < now ? now : due)
                .WithSimpleSchedule(s => s.WithMisfireInstruction(SimpleTriggerMisfireInstruction.FireNow))
                .Build();
            await scheduler.ScheduleJob(trigger, ScheduleJobOptions.Replacing, cancellationToken);
        }

        return true;
    }

    public async Task RemoveAsync(long scheduleId, CancellationToken cancellationToken)
    {
        if (options.Value.RunTriggers)
        {
            await RemoveAsync(await schedulers.GetScheduler(cancellationToken), scheduleId, cancellationToken);
        }
    }

    private static async Task RemoveAsync(IScheduler scheduler, long scheduleId, CancellationToken cancellationToken) =>
        await scheduler.UnscheduleJobs(GroupMatcher<TriggerKey>.GroupEquals(Group(scheduleId)), cancellationToken);

    private static string Group(long scheduleId) => $"schedule-{scheduleId}";
}

/// <summary>The one Quartz job: fires a schedule's step through <see cref="ScheduleEngine"/>.</summary>
public sealed class ScheduleStepJob(ScheduleEngine engine) : IJob
{
    public const string ScheduleIdKey = "scheduleId";
    public const string OccurrenceKey = "occurrence";
    public const string StepKey = "step";
    public const string DueAtKey = "dueAtTicks";

    public async ValueTask Execute(IJobExecutionContext context, CancellationToken cancellationToken = default)
    {
        var data = context.MergedJobDataMap;
        var id = long.Parse(data.GetString(ScheduleIdKey)!, CultureInfo.InvariantCulture);
        var occurrence = int.Parse(data.GetString(OccurrenceKey)!, CultureInfo.InvariantCulture);
        var step = Enum.Parse<ScheduleStep>(data.GetString(StepKey)!);
        var dueAt = new DateTimeOffset(long.Parse(data.GetString(DueAtKey)!, CultureInfo.InvariantCulture), TimeSpan.Zero);
        await engine.FireAsync(id, occurrence, step, dueAt, context.Scheduler.SchedulerInstanceId, cancellationToken);
    }
}
