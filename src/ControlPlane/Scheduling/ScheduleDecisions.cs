using ControlPlane.Releases;

namespace ControlPlane.Scheduling;

/// <summary>What a schedule should do next; carried out by <see cref="ScheduleEngine"/>.</summary>
public abstract record ScheduleDecision
{
    /// <summary>Nothing to do; <see cref="Why"/> is kept in the schedule's events when a trigger fired for nothing.</summary>
    public sealed record Wait(string Why) : ScheduleDecision;

    /// <summary>Start the activation's publication: armed for <see cref="SwitchAt"/>, or switching at once when null.</summary>
    public sealed record StartActivation(DateTimeOffset? SwitchAt, TimeSpan Late) : ScheduleDecision;

    /// <summary>Start the revert's publication, like <see cref="StartActivation"/>.</summary>
    public sealed record StartRevert(DateTimeOffset? SwitchAt, TimeSpan Late) : ScheduleDecision;

    /// <summary>The time has come and the publication was not armed (clock skew): the control plane orders the switch now.</summary>
    public sealed record SwitchNow(long PublicationId, string Why) : ScheduleDecision;

    /// <summary>The step came later than the lateness allows: mark the occurrence Missed and alert; nothing switches.</summary>
    public sealed record Missed(string Reason, long? CallOffPublicationId) : ScheduleDecision;

    /// <summary>The activation is live: Active (waiting for the revert) or, without a revert, Completed.</summary>
    public sealed record Activated(double LateMs) : ScheduleDecision;

    /// <summary>The revert is live: the occurrence is Completed.</summary>
    public sealed record Reverted : ScheduleDecision;

    public sealed record Failed(string Reason) : ScheduleDecision;

    /// <summary>Still on course, but the switch may not land on time; null clears an earlier risk.</summary>
    public sealed record AtRisk(string? Reason) : ScheduleDecision;
}

/// <summary>
/// The scheduling decisions, free of I/O: given a schedule, the state of its publications and the time, what to do.
/// Quartz only decides when <see cref="OnTrigger"/> is asked; the clock is the caller's <see cref="TimeProvider"/>, so tests
/// drive every case with a fake clock.
/// </summary>
public static class ScheduleDecisions
{
    /// <summary>A trigger of <paramref name="step"/> fired (on time, or late after a misfire).</summary>
    public static ScheduleDecision OnTrigger(
        ScheduleRow schedule, ScheduleStep step, SchedulePublication? activation, SchedulePublication? revert, DateTimeOffset now, TimeSpan lateness)
    {
        if (!ScheduleStates.IsOpen(schedule.State))
        {
            return new ScheduleDecision.Wait($"the schedule is {schedule.State}");
        }

        switch (step)
        {
            case ScheduleStep.Prestage when schedule.State == ScheduleStates.Scheduled:
            case ScheduleStep.Activate when schedule.State == ScheduleStates.Scheduled:
            {
                var late = now - schedule.ActivateAt;
                if (late > lateness)
                {
                    return new ScheduleDecision.Missed(
                        $"The activation of release {schedule.ReleaseId} at {schedule.ActivateAt:O} could not run until {Late(late)} after its time "
                        + $"(the lateness limit is {lateness}); nothing was switched.", null);
                }

                // Ahead of time: stage and arm for the instant. At or after it: switch as soon as every agent holds it.
                return new ScheduleDecision.StartActivation(now < schedule.ActivateAt ? schedule.ActivateAt : null, late > TimeSpan.Zero ? late : TimeSpan.Zero);
            }

            case ScheduleStep.Activate when schedule.State == ScheduleStates.Activating:
                return AtSwitchTime(activation, now - schedule.ActivateAt, lateness, "activation");

            case ScheduleStep.PrestageRevert when schedule.State == ScheduleStates.Active:
            case ScheduleStep.Revert when schedule.State == ScheduleStates.Active:
                return RevertDue(schedule, now, lateness);

            case ScheduleStep.Revert when schedule.State == ScheduleStates.Reverting:
                return AtSwitchTime(revert, now - schedule.RevertAt!.Value, lateness, "revert");

            default:
                return new ScheduleDecision.Wait($"{step} fired while the schedule is {schedule.State}");
        }
    }

    /// <summary>Every follow-up tick: moves the schedule on its publications' outcomes and retries what could not start.</summary>
    public static ScheduleDecision FollowUp(
        ScheduleRow schedule, SchedulePublication? activation, SchedulePublication? revert, DateTimeOffset now, TimeSpan lateness)
    {
        switch (schedule.State)
        {
            case ScheduleStates.Scheduled when schedule.AtRisk is not null && now >= schedule.PrestageAt:
                // The pre-staging could not start (another publication was in flight): try again.
                return OnTrigger(schedule, ScheduleStep.Prestage, activation, revert, now, lateness);

            case ScheduleStates.Activating when activation is not null:
                return activation.State switch
                {
                    PublicationStates.Live => new ScheduleDecision.Activated(Math.Max(0, ((activation.LiveAt ?? now) - schedule.ActivateAt).TotalMilliseconds)),
                    PublicationStates.Failed or PublicationStates.Aborted => new ScheduleDecision.Failed(
                        $"The activation's publication {activation.Id} ended {activation.State}: {activation.Reason}"),
                    PublicationStates.Partial => new ScheduleDecision.AtRisk($"Publication {activation.Id} is Partial: {activation.Reason}"),
                    PublicationStates.Staged => new ScheduleDecision.AtRisk(activation.Reason),
                    PublicationStates.Staging when now > schedule.ActivateAt => new ScheduleDecision.AtRisk(
                        $"Publication {activation.Id} had not staged on every agent at the activation time; it switches as soon as they hold it "
                        + $"(late), and fails at {schedule.ActivateAt + lateness:O}."),
                    PublicationStates.Staging when activation.AgentErrors is { } errors => new ScheduleDecision.AtRisk(
                        $"Staging release {activation.ReleaseId} (publication {activation.Id}) fails on agents: {errors}"),
                    _ => new ScheduleDecision.AtRisk(activation.Reason),
                };

            case ScheduleStates.Active when schedule.HasRevert && schedule.RevertPrestageAt is { } revertPrestage && now >= revertPrestage:
                // The revert's pre-staging came while the activation was still going live.
                return RevertDue(schedule, now, lateness);

            case ScheduleStates.Reverting when revert is not null:
                return revert.State switch
                {
                    PublicationStates.Live => new ScheduleDecision.Reverted(),
                    PublicationStates.Failed or PublicationStates.Aborted => new ScheduleDecision.Failed(
                        $"The revert's publication {revert.Id} ended {revert.State}: {revert.Reason}"),
                    PublicationStates.Partial => new ScheduleDecision.AtRisk($"Publication {revert.Id} is Partial: {revert.Reason}"),
                    PublicationStates.Staging when now > schedule.RevertAt => new ScheduleDecision.AtRisk(
                        $"Publication {revert.Id} had not staged on every agent at the revert time; it switches as soon as they hold it (late)."),
                    PublicationStates.Staging when revert.AgentErrors is { } errors => new ScheduleDecision.AtRisk(
                        $"Staging release {revert.ReleaseId} for the revert (publication {revert.Id}) fails on agents: {errors}"),
                    _ => new ScheduleDecision.AtRisk(revert.Reason),
                };

            default:
                return new ScheduleDecision.Wait("nothing to do");
        }
    }

    private static ScheduleDecision RevertDue(ScheduleRow schedule, DateTimeOffset now, TimeSpan lateness)
    {
        var revertAt = schedule.RevertAt!.Value;
        var late = now - revertAt;
        if (late > lateness)
        {
            return new ScheduleDecision.Missed(
                $"The revert at {revertAt:O} could not run until {Late(late)} after its time (the lateness limit is {lateness}); "
                + $"release {schedule.ReleaseId} is still live: roll back by hand.", null);
        }

        return new ScheduleDecision.StartRevert(now < revertAt ? revertAt : null, late > TimeSpan.Zero ? late : TimeSpan.Zero);
    }

    private static ScheduleDecision AtSwitchTime(SchedulePublication? publication, TimeSpan late, TimeSpan lateness, string what)
    {
        if (publication is null)
        {
            return new ScheduleDecision.Wait($"the {what} has no publication");
        }

        return publication.State switch
        {
            PublicationStates.Staged => new ScheduleDecision.SwitchNow(publication.Id,
                $"the {what} was not armed ({publication.Reason}); the control plane ordered the switch at its time"),
            PublicationStates.Staging when late > lateness => new ScheduleDecision.Missed(
                $"Agents had not staged the {what}'s release {Late(late)} after its time (the lateness limit is {TimeSpan.FromTicks(lateness.Ticks)}); nothing was switched.",
                publication.Id),
            PublicationStates.Staging => new ScheduleDecision.AtRisk(
                $"Publication {publication.Id} had not staged on every agent at the {what} time; it switches as soon as they hold it (late)."),
            _ => new ScheduleDecision.Wait($"the {what}'s publication {publication.Id} is {publication.State}"),
        };
    }

    private static string Late(TimeSpan late) => late.TotalSeconds < 120 ? $"{late.TotalSeconds:0.#} s" : $"{late.TotalMinutes:0.#} min";
}
