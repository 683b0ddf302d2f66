using ControlPlane.Client;

namespace Admin.UI.Components;

/// <summary>
/// A schedule "holds" an environment from its pre-staging until it is done: a manual publish or rollback then needs an
/// explicit override (the control plane answers 409 otherwise), which skips the schedule's remaining steps.
/// </summary>
public static class ScheduleHold
{
    public static ScheduleView? Find(IEnumerable<ScheduleView> schedules, DateTimeOffset now) =>
        schedules.Where(s => s.IsOpen && (s.State != ScheduleStates.Scheduled || now >= s.PrestageAt)).MinBy(s => s.Id);

    public static string Describe(ScheduleView schedule) =>
        $"Schedule #{schedule.Id} holds {schedule.Environment} now ({schedule.State}, {schedule.Phase}: release #{schedule.ReleaseId} at {Fmt.Time(schedule.ActivateAt)}"
        + (schedule.RevertAt is { } revert ? $", back at {Fmt.Time(revert)}" : "") + ").";
}
