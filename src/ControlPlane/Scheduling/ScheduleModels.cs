using System.Text.Json;

namespace ControlPlane.Scheduling;

/// <summary>POST /api/v1/schedules and PUT/PATCH /api/v1/schedules/{id}.</summary>
/// <param name="Release">The release to activate (it names its environment and exact versions).</param>
/// <param name="ActivateAt">ISO 8601 with an offset (<c>2026-11-11T00:00:00+08:00</c>), or a local time with <paramref name="TimeZone"/>.</param>
/// <param name="TimeZone">IANA time zone (<c>Asia/Shanghai</c>) of local times and of the cron expression; UTC when absent.</param>
/// <param name="RevertAt">When to go back; the same forms as <paramref name="ActivateAt"/>.</param>
/// <param name="RevertTo">The release to go back to; absent: whatever was live just before the activation.</param>
/// <param name="Recurring">A recurring window instead of <paramref name="ActivateAt"/>: each cron firing activates, and reverts after the duration.</param>
/// <param name="LeadTime">How long before each switch the release is staged (default Schedules:LeadTime, 10 minutes).</param>
public sealed record ScheduleRequest(
    long? Release, string? ActivateAt, string? TimeZone, string? RevertAt, long? RevertTo, RecurringWindow? Recurring, TimeSpan? LeadTime, string? Note);

/// <param name="Cron">A Quartz cron expression (seconds first): <c>0 0 20 * * ?</c> is every day at 20:00.</param>
/// <param name="Duration">How long each window lasts, e.g. <c>02:00:00</c>.</param>
public sealed record RecurringWindow(string? Cron, TimeSpan? Duration);

/// <summary>The lifecycle of a schedule's occurrence (docs/decisions.md, "Schedules").</summary>
public static class ScheduleStates
{
    public const string Scheduled = "Scheduled";
    public const string Activating = "Activating";
    public const string Active = "Active";
    public const string Reverting = "Reverting";
    public const string Completed = "Completed";
    public const string Cancelled = "Cancelled";
    public const string Missed = "Missed";
    public const string Failed = "Failed";
    public const string Overridden = "Overridden";

    public static readonly string[] Open = [Scheduled, Activating, Active, Reverting];

    public static bool IsOpen(string state) => Open.Contains(state);
}

/// <summary>The steps a schedule's triggers fire, in order.</summary>
public enum ScheduleStep
{
    /// <summary>Lead time before the activation: stage the release on every agent, then arm the switch.</summary>
    Prestage,

    /// <summary>The activation instant: the agents switch by themselves when armed; otherwise the control plane orders it.</summary>
    Activate,

    /// <summary>Lead time before the revert: stage (usually still hot) and arm the switch back.</summary>
    PrestageRevert,

    /// <summary>The revert instant.</summary>
    Revert,
}

/// <summary>A publication a schedule started, as the schedule shows it.</summary>
/// <param name="AgentErrors">What agents taking part reported failing, e.g. "prod-east: Redis unreachable"; null when none.</param>
public sealed record SchedulePublication(
    long Id, long ReleaseId, string State, DateTimeOffset? SwitchAt, DateTimeOffset? ArmedAt, DateTimeOffset? LiveAt, string? Reason, string? AgentErrors);

public sealed record ScheduleEvent(int Occurrence, DateTimeOffset At, string Kind, string Detail, string? Instance);

public sealed record RecurringView(string Cron, TimeSpan Duration);

/// <summary>A schedule as the API shows it.</summary>
/// <param name="State">Scheduled, Activating, Active, Reverting, Completed, Cancelled, Missed, Failed or Overridden.</param>
/// <param name="Phase">Finer than the state while a switch is prepared: staging, staged (not armed), armed, switching.</param>
/// <param name="AtRisk">True when the next switch may not land on time; <paramref name="AtRiskReason"/> says why.</param>
public sealed record ScheduleView(
    long Id, string Environment, long ReleaseId, long? RevertTo, string State, string Phase, int Occurrence,
    DateTimeOffset ActivateAt, DateTimeOffset? RevertAt, string TimeZone, string ActivateAtLocal, string? RevertAtLocal,
    RecurringView? Recurring, TimeSpan LeadTime, DateTimeOffset PrestageAt, bool AtRisk, string? AtRiskReason,
    long? PreviousReleaseId, double? ActivatedLateMs, SchedulePublication? Activation, SchedulePublication? Revert,
    string? Reason, string? Note, DateTimeOffset CreatedAt, string CreatedBy, DateTimeOffset UpdatedAt,
    IReadOnlyList<ScheduleEvent>? Events);

internal static class ScheduleJson
{
    public static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web);
}
