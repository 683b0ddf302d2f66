namespace ControlPlane.Client;

// The JSON of the schedules API (src/ControlPlane/Scheduling).

/// <summary>
/// POST /api/v1/schedules (and PATCH /api/v1/schedules/{id}, where only the fields given change). Times are ISO 8601
/// with an offset, or local times read in TimeZone (an IANA name; UTC when absent). Recurring replaces ActivateAt: each
/// cron firing activates, and reverts after the duration. RevertTo absent: back to whatever was live just before.
/// </summary>
public sealed record ScheduleRequest(
    long? Release = null, string? ActivateAt = null, string? TimeZone = null, string? RevertAt = null, long? RevertTo = null,
    RecurringWindow? Recurring = null, TimeSpan? LeadTime = null, string? Note = null);

/// <summary>A Quartz cron expression, seconds first (<c>0 0 20 * * ?</c> is every day at 20:00), and how long each window lasts.</summary>
public sealed record RecurringWindow(string Cron, TimeSpan Duration);

/// <summary>
/// A publication a schedule started (its activation or its revert). ArmedAt: when the switch was armed (every agent
/// held the release and was told the instant to switch by its own clock).
/// </summary>
public sealed record SchedulePublication(
    long Id, long ReleaseId, string State, DateTimeOffset? SwitchAt, DateTimeOffset? ArmedAt, DateTimeOffset? LiveAt, string? Reason, string? AgentErrors);

public sealed record ScheduleEvent(int Occurrence, DateTimeOffset At, string Kind, string Detail, string? Instance);

public sealed record RecurringView(string Cron, TimeSpan Duration);

/// <summary>
/// A schedule as the API shows it. State: Scheduled, Activating, Active, Reverting, Completed, Cancelled, Missed, Failed or
/// Overridden; Phase is finer while a switch is prepared (waiting, staging, staged-not-armed, armed, switching, ...);
/// AtRisk: the next switch may not land on time, AtRiskReason says why.
/// </summary>
public sealed record ScheduleView(
    long Id, string Environment, long ReleaseId, long? RevertTo, string State, string Phase, int Occurrence,
    DateTimeOffset ActivateAt, DateTimeOffset? RevertAt, string TimeZone, string ActivateAtLocal, string? RevertAtLocal,
    RecurringView? Recurring, TimeSpan LeadTime, DateTimeOffset PrestageAt, bool AtRisk, string? AtRiskReason,
    long? PreviousReleaseId, double? ActivatedLateMs, SchedulePublication? Activation, SchedulePublication? Revert,
    string? Reason, string? Note, DateTimeOffset CreatedAt, string CreatedBy, DateTimeOffset UpdatedAt,
    IReadOnlyList<ScheduleEvent>? Events)
{
    /// <summary>Still to run or running: Scheduled, Activating, Active or Reverting.</summary>
    public bool IsOpen => ScheduleStates.IsOpen(State);
}

/// <summary>States of a schedule's occurrence.</summary>
public static class ScheduleStates
{
    public const string Scheduled = "Scheduled";
    public const string Activating = "Activating";
    public const string Active = "Active";
    public const string Reverting = "Reverting";
    public const string Cancelled = "Cancelled";

    public static bool IsOpen(string state) => state is Scheduled or Activating or Active or Reverting;
}
