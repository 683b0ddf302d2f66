using ControlPlane.Webhooks;
using Npgsql;

namespace ControlPlane.Scheduling;

/// <summary>
/// Raises a schedule's alerts: kept in its events (the API and UI show them, with <c>atRisk</c>), logged as warnings, and,
/// for at-risk, late, missed and failed, written to the release events outbox in the same transaction, so webhooks
/// subscribed to <c>schedule.*</c> hear of them exactly when the state change committed.
/// </summary>
public sealed partial class ScheduleAlerts(ILogger<ScheduleAlerts> logger)
{
    public async Task RaiseAsync(NpgsqlConnection connection, ScheduleRow schedule, string kind, string message, DateTimeOffset now, CancellationToken cancellationToken)
    {
        await ScheduleStore.AddEventAsync(connection, schedule.Id, schedule.Occurrence, now, "alert:" + kind, message, null, cancellationToken);
        if (EventKind(kind) is { } eventKind)
        {
            await ReleaseEvents.EnqueueAsync(connection, eventKind, schedule.Environment, schedule.ReleaseId, new
            {
                scheduleId = schedule.Id,
                schedule.Occurrence,
                schedule.State,
                alert = kind,
                message,
                schedule.ActivateAt,
                schedule.RevertAt,
                activationPublicationId = schedule.ActivationPublicationId,
                revertPublicationId = schedule.RevertPublicationId,
            }, now, cancellationToken);
        }

        LogAlert(schedule.Id, schedule.Environment, kind, message);
    }

    /// <summary>The webhook event of an alert; null for alerts kept in the schedule's history only (switch-ordered).</summary>
    internal static string? EventKind(string alert) => alert switch
    {
        "at-risk" => ReleaseEventKinds.ScheduleAtRisk,
        "late" => ReleaseEventKinds.ScheduleLate,
        "missed" => ReleaseEventKinds.ScheduleMissed,
        "failed" => ReleaseEventKinds.ScheduleFailed,
        _ => null,
    };

    [LoggerMessage(Level = LogLevel.Warning, Message = "Schedule {ScheduleId} ({Environment}) alert {Kind}: {Message}")]
    private partial void LogAlert(long scheduleId, string environment, string kind, string message);
}
