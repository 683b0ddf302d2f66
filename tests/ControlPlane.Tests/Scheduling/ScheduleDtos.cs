namespace ControlPlane.Tests.Scheduling;

// The schedules API's JSON as an operator's client sees it.

public sealed record SchedulePublicationDto(
    long Id, long ReleaseId, string State, DateTimeOffset? SwitchAt, DateTimeOffset? ArmedAt, DateTimeOffset? LiveAt, string? Reason, string? AgentErrors);

public sealed record ScheduleEventDto(int Occurrence, DateTimeOffset At, string Kind, string Detail, string? Instance);

public sealed record RecurringDto(string Cron, TimeSpan Duration);

public sealed record ScheduleDto(
    long Id, string Environment, long ReleaseId, long? RevertTo, string State, string Phase, int Occurrence,
    DateTimeOffset ActivateAt, DateTimeOffset? RevertAt, string TimeZone, string ActivateAtLocal, string? RevertAtLocal,
    RecurringDto? Recurring, TimeSpan LeadTime, DateTimeOffset PrestageAt, bool AtRisk, string? AtRiskReason,
    long? PreviousReleaseId, double? ActivatedLateMs, SchedulePublicationDto? Activation, SchedulePublicationDto? Revert,
    string? Reason, string? Note, DateTimeOffset CreatedAt, string CreatedBy, DateTimeOffset UpdatedAt, List<ScheduleEventDto>? Events)
{
    public IEnumerable<ScheduleEventDto> EventsOf(string kind) => (Events ?? []).Where(e => e.Kind == kind);
}
