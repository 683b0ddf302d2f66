using Npgsql;

namespace ControlPlane.Scheduling;

/// <summary>
/// Raises a schedule's alerts: kept in its events (the API and UI show them, with <c>atRisk</c>) and logged as warnings.
/// Release events and webhooks (issue 4) pick them up from here when that service lands.
/// </summary>
public sealed partial class ScheduleAlerts(ILogger<ScheduleAlerts> logger)
{
    public async Task RaiseAsync(NpgsqlConnection connection, ScheduleRow schedule, string kind, string message, DateTimeOffset now, CancellationToken cancellationToken)
    {
        await ScheduleStore.AddEventAsync(connection, schedule.Id, schedule.Occurrence, now, "alert:" + kind, message, null, cancellationToken);
        LogAlert(schedule.Id, schedule.Environment, kind, message);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Schedule {ScheduleId} ({Environment}) alert {Kind}: {Message}")]
    private partial void LogAlert(long scheduleId, string environment, string kind, string message);
}
