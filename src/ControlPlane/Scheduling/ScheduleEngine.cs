using ControlPlane.Infrastructure;
using ControlPlane.Releases;
using Microsoft.Extensions.Options;
using Npgsql;

namespace ControlPlane.Scheduling;

/// <summary>
/// Carries out <see cref="ScheduleDecisions"/> for one schedule at a time, under its row lock, so that however many
/// instances fire or follow up at once, each step happens once (I7). Quartz calls <see cref="FireAsync"/> at each step's
/// time; every instance follows up every second.
/// </summary>
public sealed partial class ScheduleEngine(
    NpgsqlDataSource dataSource,
    PublicationCoordinator coordinator,
    IScheduleTriggers triggers,
    ScheduleAlerts alerts,
    IOptions<ScheduleOptions> options,
    TimeProvider time,
    ILogger<ScheduleEngine> logger)
{
    /// <summary>A trigger of <paramref name="step"/> of <paramref name="occurrence"/> fired, due at <paramref name="dueAt"/>.</summary>
    public async Task FireAsync(long id, int occurrence, ScheduleStep step, DateTimeOffset? dueAt, string? instance, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        if (await ScheduleStore.GetAsync(connection, id, lockRow: true, cancellationToken) is not { } row)
        {
            return;
        }

        var now = time.GetUtcNow();
        await ScheduleStore.AddEventAsync(connection, id, occurrence, now, "fired", $"{step} trigger (due {dueAt:O})", instance, cancellationToken);
        LogFired(id, occurrence, step, instance);
        if (row.Occurrence != occurrence || (dueAt is not null && row.DueAt(step) != dueAt))
        {
            // Rescheduled or moved on since this trigger was planned.
            await ScheduleStore.AddEventAsync(connection, id, occurrence, now, "skipped", $"{step}: the trigger is stale (rescheduled or a later occurrence)", instance, cancellationToken);
            await transaction.CommitAsync(cancellationToken);
            return;
        }

        row = await AdoptAsync(connection, row, now, cancellationToken);
        var activation = await ScheduleStore.PublicationAsync(connection, row.ActivationPublicationId, cancellationToken);
        var revert = await ScheduleStore.PublicationAsync(connection, row.RevertPublicationId, cancellationToken);
        var decision = ScheduleDecisions.OnTrigger(row, step, activation, revert, now, options.Value.Lateness);
        if (decision is ScheduleDecision.Wait wait)
        {
            await ScheduleStore.AddEventAsync(connection, id, occurrence, now, "skipped", $"{step}: {wait.Why}", instance, cancellationToken);
        }

        await ApplyAsync(connection, row, decision, now, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
    }

    /// <summary>Moves every open schedule on its publications' outcomes, and plans the triggers of new occurrences.</summary>
    public async Task FollowUpAsync(CancellationToken cancellationToken)
    {
        IReadOnlyList<long> ids;
        await using (var connection = await dataSource.OpenConnectionAsync(cancellationToken))
        {
            ids = await ScheduleStore.OpenIdsAsync(connection, cancellationToken);
        }

        foreach (var id in ids)
        {
            await FollowUpAsync(id, cancellationToken);
        }
    }

    public async Task FollowUpAsync(long id, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        ScheduleRow? row;
        await using (var command = new NpgsqlCommand("SELECT 1 FROM schedules WHERE id = @id FOR NO KEY UPDATE SKIP LOCKED", connection))
        {
            command.Parameters.AddWithValue("id", id);
            if (await command.ExecuteScalarAsync(cancellationToken) is null)
            {
                // Another instance is moving it right now.
                return;
            }

            row = await ScheduleStore.GetAsync(connection, id, lockRow: false, cancellationToken);
        }

        if (row is null || !ScheduleStates.IsOpen(row.State))
        {
            return;
        }

        var now = time.GetUtcNow();
        row = await AdoptAsync(connection, row, now, cancellationToken);
        var activation = await ScheduleStore.PublicationAsync(connection, row.ActivationPublicationId, cancellationToken);
        var revert = await ScheduleStore.PublicationAsync(connection, row.RevertPublicationId, cancellationToken);
        row = await ApplyAsync(connection, row, ScheduleDecisions.FollowUp(row, activation, revert, now, options.Value.Lateness), now, cancellationToken);
        if (ScheduleStates.IsOpen(row.State) && row.PlannedOccurrence != row.Occurrence && await triggers.PlanAsync(row, now, cancellationToken))
        {
            row = row with { PlannedOccurrence = row.Occurrence };
            await ScheduleStore.SaveAsync(connection, row, now, cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
    }

    /// <summary>
    /// A step starts its publication in the coordinator's own transaction, then records it on the schedule in this one. An
    /// instance that died between the two left a publication the schedule does not know, which may have been armed and even
    /// switched by the agents since. It is taken up here, before any decision, so the step is never started twice and the
    /// schedule follows what really happened (a misfire beyond the lateness is not called Missed when the agents switched).
    /// </summary>
    private async Task<ScheduleRow> AdoptAsync(NpgsqlConnection connection, ScheduleRow row, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var (kind, release, since) = row.State switch
        {
            ScheduleStates.Scheduled when now >= row.PrestageAt => ("publish", (long?)row.ReleaseId, row.PrestageAt),
            ScheduleStates.Active when row.HasRevert && row.RevertPrestageAt is { } at && now >= at => ("rollback", row.RevertTo ?? row.PreviousReleaseId, at),
            _ => ("", null, default),
        };
        if (release is null)
        {
            return row;
        }

        long id;
        long? previous;
        await using (var command = connection.Command(
            """
            SELECT id, previous_release_id FROM publications
            WHERE schedule_id = @schedule AND kind = @kind AND release_id = @release AND state <> 'Aborted' AND requested_at >= @since
            ORDER BY id DESC LIMIT 1
            """, ("schedule", row.Id), ("kind", kind), ("release", release.Value), ("since", since)))
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            if (!await reader.ReadAsync(cancellationToken))
            {
                return row;
            }

            (id, previous) = (reader.GetInt64(0), reader.GetNullable<long>(1));
        }

        var adopted = kind == "publish"
            ? row with { State = ScheduleStates.Activating, ActivationPublicationId = id, PreviousReleaseId = previous, AtRisk = null }
            : row with { State = ScheduleStates.Reverting, RevertPublicationId = id, AtRisk = null };
        await SaveAsync(connection, adopted, now, "adopted",
            $"Publication {id} of release {release} was started for this step but not recorded (an instance stopped in between); the schedule follows it",
            cancellationToken);
        LogAdopted(row.Id, id, kind);
        return adopted;
    }

    private async Task<ScheduleRow> ApplyAsync(NpgsqlConnection connection, ScheduleRow row, ScheduleDecision decision, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var lateness = options.Value.Lateness;
        var actor = $"schedule {row.Id}";
        switch (decision)
        {
            case ScheduleDecision.StartActivation start:
            {
                var deadline = Max(row.ActivateAt + lateness, now + TimeSpan.FromSeconds(5));
                var outcome = await coordinator.StartAsync(row.ReleaseId, "publish", actor, cancellationToken, new ScheduledStart(row.Id, start.SwitchAt, deadline));
                if (outcome is PublishOutcome.Started started)
                {
                    var next = row with
                    {
                        State = ScheduleStates.Activating, ActivationPublicationId = started.Publication.Id,
                        PreviousReleaseId = started.Publication.PreviousReleaseId, AtRisk = null,
                    };
                    await SaveAsync(connection, next, now, start.SwitchAt is null ? "activating" : "staging",
                        start.SwitchAt is null
                            ? $"Publication {started.Publication.Id} started; it switches as soon as every agent holds release {row.ReleaseId}"
                            : $"Publication {started.Publication.Id} stages release {row.ReleaseId} on every agent, to switch at {start.SwitchAt:O}",
                        cancellationToken);
                    if (start.Late > TimeSpan.Zero)
                    {
                        await alerts.RaiseAsync(connection, next, "late", $"The activation of schedule {row.Id} started {start.Late.TotalSeconds:0.#} s after its time {row.ActivateAt:O} (within the lateness limit {lateness}).", now, cancellationToken);
                    }

                    return next;
                }

                return await BlockedAsync(connection, row, outcome, "activation", now, cancellationToken);
            }

            case ScheduleDecision.StartRevert start:
            {
                if ((row.RevertTo ?? row.PreviousReleaseId) is not { } target)
                {
                    return await EndAsync(connection, row, ScheduleStates.Failed,
                        $"Nothing was live before the activation, so there is nothing to revert to; release {row.ReleaseId} stays live (name revertTo to choose one).",
                        now, cancellationToken);
                }

                var deadline = Max(row.RevertAt!.Value + lateness, now + TimeSpan.FromSeconds(5));
                var outcome = await coordinator.StartAsync(target, "rollback", actor, cancellationToken, new ScheduledStart(row.Id, start.SwitchAt, deadline));
                if (outcome is PublishOutcome.Started started)
                {
                    var next = row with { State = ScheduleStates.Reverting, RevertPublicationId = started.Publication.Id, AtRisk = null };
                    await SaveAsync(connection, next, now, "reverting",
                        $"Publication {started.Publication.Id} prepares the revert to release {target}" + (start.SwitchAt is { } at ? $", to switch at {at:O}" : ", switching now"),
                        cancellationToken);
                    if (start.Late > TimeSpan.Zero)
                    {
                        await alerts.RaiseAsync(connection, next, "late", $"The revert of schedule {row.Id} started {start.Late.TotalSeconds:0.#} s after its time {row.RevertAt:O}.", now, cancellationToken);
                    }

                    return next;
                }

                return await BlockedAsync(connection, row, outcome, "revert", now, cancellationToken);
            }

            case ScheduleDecision.SwitchNow switchNow:
            {
                var state = await coordinator.SwitchNowAsync(switchNow.PublicationId, cancellationToken);
                await alerts.RaiseAsync(connection, row, "switch-ordered", $"Schedule {row.Id}: {switchNow.Why} (publication {switchNow.PublicationId} is {state}).", now, cancellationToken);
                return row;
            }

            case ScheduleDecision.Missed missed:
            {
                if (missed.CallOffPublicationId is { } publication)
                {
                    await coordinator.CallOffAsync(publication, missed.Reason, actor, cancellationToken);
                }

                return await EndAsync(connection, row, ScheduleStates.Missed, missed.Reason, now, cancellationToken);
            }

            case ScheduleDecision.Activated activated:
            {
                var next = row with { ActivatedLateMs = activated.LateMs, AtRisk = null };
                LogLive(row.Id, row.ReleaseId, activated.LateMs);
                if (row.HasRevert)
                {
                    next = next with { State = ScheduleStates.Active };
                    await SaveAsync(connection, next, now, "live", $"Release {row.ReleaseId} is live; the revert is at {row.RevertAt:O}", cancellationToken);
                    return next;
                }

                await ScheduleStore.AddEventAsync(connection, row.Id, row.Occurrence, now, "live", $"Release {row.ReleaseId} is live", null, cancellationToken);
                return await CompleteAsync(connection, next, now, cancellationToken);
            }

            case ScheduleDecision.Reverted:
                await ScheduleStore.AddEventAsync(connection, row.Id, row.Occurrence, now, "reverted",
                    $"Release {row.RevertTo ?? row.PreviousReleaseId} is live again", null, cancellationToken);
                return await CompleteAsync(connection, row with { AtRisk = null }, now, cancellationToken);

            case ScheduleDecision.Failed failed:
                return await EndAsync(connection, row, ScheduleStates.Failed, failed.Reason, now, cancellationToken);

            case ScheduleDecision.AtRisk risk when risk.Reason != row.AtRisk:
            {
                var next = row with { AtRisk = risk.Reason };
                await ScheduleStore.SaveAsync(connection, next, now, cancellationToken);
                if (risk.Reason is not null)
                {
                    await alerts.RaiseAsync(connection, next, "at-risk", risk.Reason, now, cancellationToken);
                }
                else
                {
                    await ScheduleStore.AddEventAsync(connection, row.Id, row.Occurrence, now, "on-course", "No longer at risk", null, cancellationToken);
                }

                return next;
            }

            default:
                return row;
        }
    }

    /// <summary>A step could not start its publication (another one is in flight): at risk, retried by the follow-up.</summary>
    private async Task<ScheduleRow> BlockedAsync(NpgsqlConnection connection, ScheduleRow row, PublishOutcome outcome, string what, DateTimeOffset now, CancellationToken cancellationToken)
    {
        switch (outcome)
        {
            case PublishOutcome.Conflict conflict:
            {
                var reason = $"The {what} could not start: {conflict.Detail} It is retried every second until its lateness runs out.";
                if (reason == row.AtRisk)
                {
                    return row;
                }

                var next = row with { AtRisk = reason };
                await ScheduleStore.SaveAsync(connection, next, now, cancellationToken);
                await alerts.RaiseAsync(connection, next, "at-risk", reason, now, cancellationToken);
                return next;
            }

            case PublishOutcome.Refused refused:
            {
                // A pin or missing approvals: may be lifted or given before the time, so it is retried like a conflict.
                var reason = $"The {what} could not start: {refused.Title}: {refused.Detail} It is retried every second until its lateness runs out.";
                if (reason == row.AtRisk)
                {
                    return row;
                }

                var next = row with { AtRisk = reason };
                await ScheduleStore.SaveAsync(connection, next, now, cancellationToken);
                await alerts.RaiseAsync(connection, next, "at-risk", reason, now, cancellationToken);
                return next;
            }

            case PublishOutcome.NotFound notFound:
                return await EndAsync(connection, row, ScheduleStates.Failed, $"The {what} could not start: {notFound.Detail}", now, cancellationToken);

            default:
                throw new InvalidOperationException("Unknown publish outcome.");
        }
    }

    /// <summary>Ends the occurrence (Missed, Failed) with an alert; a recurring schedule goes on with its next occurrence.</summary>
    private async Task<ScheduleRow> EndAsync(NpgsqlConnection connection, ScheduleRow row, string state, string reason, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var ended = row with { State = state, Reason = reason, AtRisk = null };
        await ScheduleStore.SaveAsync(connection, ended, now, cancellationToken);
        await alerts.RaiseAsync(connection, ended, state.ToLowerInvariant(), reason, now, cancellationToken);
        return row.Recurring ? await NextOccurrenceAsync(connection, ended, now, cancellationToken) : ended;
    }

    private async Task<ScheduleRow> CompleteAsync(NpgsqlConnection connection, ScheduleRow row, DateTimeOffset now, CancellationToken cancellationToken)
    {
        if (row.Recurring)
        {
            return await NextOccurrenceAsync(connection, row, now, cancellationToken);
        }

        var done = row with { State = ScheduleStates.Completed };
        await SaveAsync(connection, done, now, "completed", $"Occurrence {row.Occurrence} completed", cancellationToken);
        return done;
    }

    /// <summary>A recurring window moves on to its next cron firing; its triggers are planned by the follow-up.</summary>
    internal static async Task<ScheduleRow> NextOccurrenceAsync(NpgsqlConnection connection, ScheduleRow row, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var zone = ScheduleTimes.FindZone(row.TimeZone) ?? TimeZoneInfo.Utc;
        var after = row.ActivateAt > now ? row.ActivateAt : now;
        if (ScheduleTimes.NextFiring(row.Cron!, zone, after) is not { } next)
        {
            var done = row with { State = ScheduleStates.Completed };
            await ScheduleStore.SaveAsync(connection, done, now, cancellationToken);
            await ScheduleStore.AddEventAsync(connection, row.Id, row.Occurrence, now, "completed", "The cron expression fires no more", null, cancellationToken);
            return done;
        }

        var following = row with
        {
            State = ScheduleStates.Scheduled, Occurrence = row.Occurrence + 1, ActivateAt = next, RevertAt = next + row.Duration!.Value,
            ActivationPublicationId = null, RevertPublicationId = null, PreviousReleaseId = null, ActivatedLateMs = null, AtRisk = null, Reason = null,
        };
        await ScheduleStore.SaveAsync(connection, following, now, cancellationToken);
        await ScheduleStore.AddEventAsync(connection, row.Id, following.Occurrence, now, "scheduled",
            $"Occurrence {following.Occurrence}: activation at {ScheduleTimes.Local(next, zone)}, revert at {ScheduleTimes.Local(following.RevertAt!.Value, zone)}",
            null, cancellationToken);
        return following;
    }

    private static async Task SaveAsync(NpgsqlConnection connection, ScheduleRow row, DateTimeOffset now, string kind, string detail, CancellationToken cancellationToken)
    {
        await ScheduleStore.SaveAsync(connection, row, now, cancellationToken);
        await ScheduleStore.AddEventAsync(connection, row.Id, row.Occurrence, now, kind, detail, null, cancellationToken);
    }

    private static DateTimeOffset Max(DateTimeOffset a, DateTimeOffset b) => a > b ? a : b;

    [LoggerMessage(Level = LogLevel.Information, Message = "Schedule {ScheduleId} occurrence {Occurrence}: {Step} trigger fired on {Instance}")]
    private partial void LogFired(long scheduleId, int occurrence, ScheduleStep step, string? instance);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Schedule {ScheduleId} took up publication {PublicationId} ({Kind}) that an interrupted step had started")]
    private partial void LogAdopted(long scheduleId, long publicationId, string kind);

    [LoggerMessage(Level = LogLevel.Information, Message = "Schedule {ScheduleId}: release {ReleaseId} is live, {LateMs:0} ms after the activation time (as reported)")]
    private partial void LogLive(long scheduleId, long releaseId, double lateMs);
}
