using System.Text.Json;
using ControlPlane.Infrastructure;
using Npgsql;

namespace ControlPlane.Webhooks;

/// <summary>The kinds of release event a webhook can subscribe to.</summary>
public static class ReleaseEventKinds
{
    public const string Staged = "release.staged";
    public const string Live = "release.live";
    public const string Failed = "release.failed";
    public const string Partial = "release.partial";
    public const string RolledBack = "release.rolled_back";

    /// <summary>Raised by the approvals feature when a release needs approval before it can be published.</summary>
    public const string WaitingForApproval = "release.waiting_for_approval";

    public const string WaveHeld = "wave.held";
    public const string WavePromoted = "wave.promoted";
    public const string WaveAborted = "wave.aborted";

    /// <summary>A schedule's next switch may not land on time (staging fails, a pin, another publication in flight, a skewed agent).</summary>
    public const string ScheduleAtRisk = "schedule.at_risk";

    /// <summary>A schedule's step ran late, within the lateness limit (the control plane was down at its time).</summary>
    public const string ScheduleLate = "schedule.late";

    /// <summary>A schedule's step came later than the lateness limit: nothing was switched.</summary>
    public const string ScheduleMissed = "schedule.missed";

    /// <summary>A schedule's activation or revert failed.</summary>
    public const string ScheduleFailed = "schedule.failed";

    public static readonly IReadOnlyList<string> All =
        [Staged, Live, Failed, Partial, RolledBack, WaitingForApproval, WaveHeld, WavePromoted, WaveAborted,
         ScheduleAtRisk, ScheduleLate, ScheduleMissed, ScheduleFailed];

    public static bool IsKnown(string kind) => All.Contains(kind, StringComparer.Ordinal);
}

/// <summary>
/// The outbox of release events. Call <see cref="EnqueueAsync"/> on the connection (and inside the transaction) of
/// the state change the event reports: the event exists exactly when the change committed. Deliveries to the
/// environment's subscriptions are made in the background by <see cref="WebhookDispatcher"/>; nothing here waits
/// for a receiver.
/// </summary>
public static class ReleaseEvents
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    /// <summary>
    /// Records the event and one pending delivery per subscription of the environment that wants this kind.
    /// <paramref name="payload"/> is serialized as the event's <c>data</c> (camelCase JSON); keep secrets out of it.
    /// Returns the event id.
    /// </summary>
    public static async Task<long> EnqueueAsync(
        NpgsqlConnection connection, string kind, string environment, long? releaseId, object? payload, DateTimeOffset occurredAt,
        CancellationToken cancellationToken)
    {
        if (!ReleaseEventKinds.IsKnown(kind))
        {
            throw new ArgumentException($"Unknown release event kind '{kind}'.", nameof(kind));
        }

        var eventId = await connection.ScalarAsync<long>(
            """
            INSERT INTO release_events (environment, kind, release_id, payload, occurred_at)
            VALUES (@env, @kind, @release, @payload::jsonb, @at) RETURNING id
            """, cancellationToken,
            ("env", environment), ("kind", kind), ("release", releaseId), ("payload", JsonSerializer.Serialize(payload ?? new { }, Json)),
            ("at", occurredAt));
        await connection.ExecuteAsync(
            """
            INSERT INTO webhook_deliveries (webhook_id, event_id, state, next_attempt_at, created_at)
            SELECT id, @event, 'Pending', @at, @at FROM webhooks WHERE environment = @env AND @kind = ANY (events)
            """, cancellationToken, ("event", eventId), ("at", occurredAt), ("env", environment), ("kind", kind));
        return eventId;
    }
}
