using ControlPlane.Audit;
using ControlPlane.Infrastructure;
using ControlPlane.Releases;
using Microsoft.Extensions.Options;
using Npgsql;

namespace ControlPlane.Scheduling;

/// <summary>What a schedule command came to.</summary>
public abstract record ScheduleOutcome
{
    public sealed record Done(ScheduleView Schedule) : ScheduleOutcome;

    public sealed record Invalid(string Field, string Message) : ScheduleOutcome;

    public sealed record NotFound(string Detail) : ScheduleOutcome;

    public sealed record Conflict(string Detail, long? OtherScheduleId) : ScheduleOutcome;
}

/// <summary>Creates, cancels and reschedules schedules; <see cref="ScheduleEngine"/> runs them.</summary>
public sealed partial class ScheduleCommands(
    NpgsqlDataSource dataSource,
    ScheduleEngine engine,
    ScheduleViews views,
    PublicationCoordinator coordinator,
    IScheduleTriggers triggers,
    AuditLog audit,
    IOptions<ScheduleOptions> options,
    TimeProvider time,
    ILogger<ScheduleCommands> logger)
{
    // Creating or changing schedules of one environment is serialized, so two overlapping ones cannot both pass the check.
    private const int EnvironmentLockSpace = 0x5343;

    public async Task<ScheduleOutcome> CreateAsync(ScheduleRequest request, string actor, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        if (ScheduleDefinition.Read(request, options.Value.LeadTime, now) is not ScheduleDefinitionResult.Valid definition)
        {
            var invalid = (ScheduleDefinitionResult.Invalid)ScheduleDefinition.Read(request, options.Value.LeadTime, now);
            return new ScheduleOutcome.Invalid(invalid.Field, invalid.Message);
        }

        long id;
        await using (var connection = await dataSource.OpenConnectionAsync(cancellationToken))
        await using (var transaction = await connection.BeginTransactionAsync(cancellationToken))
        {
            if (await ReleaseStore.GetAsync(connection, definition.ReleaseId, cancellationToken) is not { } release)
            {
                return new ScheduleOutcome.NotFound($"There is no release {definition.ReleaseId}.");
            }

            if (await CheckRevertToAsync(connection, definition, release.Environment, cancellationToken) is { } revertProblem)
            {
                return revertProblem;
            }

            await LockEnvironmentAsync(connection, release.Environment, cancellationToken);
            if (await ConflictAsync(connection, release.Environment, definition, exceptId: null, now, cancellationToken) is { } conflict)
            {
                return conflict;
            }

            var row = new ScheduleRow(0, release.Environment, definition.ReleaseId, definition.RevertTo, definition.HasRevert, definition.TimeZone,
                definition.Cron, definition.Duration, definition.LeadTime, ScheduleStates.Scheduled, 1, definition.ActivateAt, definition.RevertAt,
                null, null, null, null, null, null, definition.Note, now, actor, now, null);
            id = await ScheduleStore.InsertAsync(connection, row, cancellationToken);
            await ScheduleStore.AddEventAsync(connection, id, 1, now, "created", $"Created by {actor}: {Describe(definition)}", null, cancellationToken);
            await audit.AppendAsync(connection, transaction, new AuditEntry(actor, ScheduleAuditKinds.Create, release.Environment, $"schedule/{id}",
                After: new { definition.ReleaseId, definition.ActivateAt, definition.RevertAt, definition.RevertTo, definition.Cron, definition.Duration, definition.TimeZone, definition.LeadTime }),
                cancellationToken);
            await transaction.CommitAsync(cancellationToken);
        }

        LogCreated(id, definition.ReleaseId, definition.ActivateAt, actor);
        await PlanSoonAsync(id, cancellationToken);
        return new ScheduleOutcome.Done((await views.GetAsync(id, withEvents: true, cancellationToken))!);
    }

    /// <summary>
    /// Cancels what is left of a schedule: a publication it started that has not switched anything is called off; one that
    /// already went live stays live (and the revert is cancelled with the rest).
    /// </summary>
    public async Task<ScheduleOutcome> CancelAsync(long id, string actor, string? reason, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        await using (var connection = await dataSource.OpenConnectionAsync(cancellationToken))
        await using (var transaction = await connection.BeginTransactionAsync(cancellationToken))
        {
            if (await ScheduleStore.GetAsync(connection, id, lockRow: true, cancellationToken) is not { } row)
            {
                return new ScheduleOutcome.NotFound($"There is no schedule {id}.");
            }

            if (!ScheduleStates.IsOpen(row.State))
            {
                return new ScheduleOutcome.Conflict($"Schedule {id} is {row.State} already; there is nothing left to cancel.", null);
            }

            var (_, note) = await CallOffAsync(row, $"Schedule {id} was cancelled by {actor}", actor, cancellationToken);
            var detail = $"Cancelled by {actor}" + (reason is null ? "" : $": {reason}") + (note is null ? "" : $". {note}");
            await ScheduleStore.SaveAsync(connection, row with { State = ScheduleStates.Cancelled, Reason = detail, AtRisk = null }, now, cancellationToken);
            await ScheduleStore.AddEventAsync(connection, id, row.Occurrence, now, "cancelled", detail, null, cancellationToken);
            await audit.AppendAsync(connection, transaction, new AuditEntry(actor, ScheduleAuditKinds.Cancel, row.Environment, $"schedule/{id}", reason,
                Before: new { row.State, row.ReleaseId, row.ActivateAt, row.RevertAt }), cancellationToken);
            await transaction.CommitAsync(cancellationToken);
        }

        await triggers.RemoveAsync(id, cancellationToken);
        LogCancelled(id, actor);
        return new ScheduleOutcome.Done((await views.GetAsync(id, withEvents: true, cancellationToken))!);
    }

    /// <summary>
    /// Moves a schedule: before its activation switched (pre-staging is called off and redone at the new time) anything may
    /// change; once active, only the revert (revertAt, revertTo) and the lead time.
    /// </summary>
    public async Task<ScheduleOutcome> RescheduleAsync(long id, ScheduleRequest request, bool merge, string actor, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        await using (var connection = await dataSource.OpenConnectionAsync(cancellationToken))
        await using (var transaction = await connection.BeginTransactionAsync(cancellationToken))
        {
            if (await ScheduleStore.GetAsync(connection, id, lockRow: true, cancellationToken) is not { } row)
            {
                return new ScheduleOutcome.NotFound($"There is no schedule {id}.");
            }

            if (row.State is not (ScheduleStates.Scheduled or ScheduleStates.Activating or ScheduleStates.Active))
            {
                return new ScheduleOutcome.Conflict($"Schedule {id} is {row.State}; only a schedule that is Scheduled, Activating or Active can be moved.", null);
            }

            if (row.State == ScheduleStates.Active
                && ((request.Release is { } release && release != row.ReleaseId) || request.ActivateAt is not null || request.Recurring is not null))
            {
                return new ScheduleOutcome.Conflict(
                    $"Schedule {id} is Active: release {row.ReleaseId} went live at {row.ActivateAt:O}; only revertAt, revertTo and leadTime can change now (PATCH them).",
                    null);
            }

            var zone = ScheduleTimes.FindZone(request.TimeZone ?? row.TimeZone) ?? TimeZoneInfo.Utc;
            var merged = merge ? Merge(row, request, zone) : request;
            var result = row.State == ScheduleStates.Active
                ? ReadRevertOnly(row, merged, zone, now)
                : ScheduleDefinition.Read(merged, options.Value.LeadTime, now);
            if (result is ScheduleDefinitionResult.Invalid invalid)
            {
                return new ScheduleOutcome.Invalid(invalid.Field, invalid.Message);
            }

            var definition = (ScheduleDefinitionResult.Valid)result;
            if (await ReleaseStore.GetAsync(connection, definition.ReleaseId, cancellationToken) is not { } target)
            {
                return new ScheduleOutcome.NotFound($"There is no release {definition.ReleaseId}.");
            }

            if (target.Environment != row.Environment)
            {
                return new ScheduleOutcome.Invalid("release", $"Release {target.Id} is of environment '{target.Environment}'; schedule {id} is of '{row.Environment}'.");
            }

            if (await CheckRevertToAsync(connection, definition, row.Environment, cancellationToken) is { } revertProblem)
            {
                return revertProblem;
            }

            await LockEnvironmentAsync(connection, row.Environment, cancellationToken);
            if (await ConflictAsync(connection, row.Environment, definition, exceptId: id, now, cancellationToken) is { } conflict)
            {
                return conflict;
            }

            string? note = null;
            if (row.State == ScheduleStates.Activating)
            {
                (var calledOff, note) = await CallOffAsync(row, $"Schedule {id} was rescheduled by {actor}", actor, cancellationToken);
                if (!calledOff)
                {
                    return new ScheduleOutcome.Conflict($"Schedule {id} cannot be moved: {note}; PATCH revertAt once it is Active.", null);
                }
            }

            var moved = row with
            {
                ReleaseId = definition.ReleaseId, RevertTo = definition.RevertTo, HasRevert = definition.HasRevert, TimeZone = definition.TimeZone,
                Cron = definition.Cron, Duration = definition.Duration, LeadTime = definition.LeadTime, Note = definition.Note ?? row.Note,
                ActivateAt = row.State == ScheduleStates.Active ? row.ActivateAt : definition.ActivateAt, RevertAt = definition.RevertAt,
                State = row.State == ScheduleStates.Active ? ScheduleStates.Active : ScheduleStates.Scheduled,
                ActivationPublicationId = row.State == ScheduleStates.Active ? row.ActivationPublicationId : null,
                PreviousReleaseId = row.State == ScheduleStates.Active ? row.PreviousReleaseId : null,
                AtRisk = null, PlannedOccurrence = null,
            };
            await ScheduleStore.UpdateDefinitionAsync(connection, moved, now, cancellationToken);
            await ScheduleStore.SaveAsync(connection, moved, now, cancellationToken);
            await ScheduleStore.AddEventAsync(connection, id, row.Occurrence, now, "rescheduled",
                $"Rescheduled by {actor}: {Describe(definition with { ActivateAt = moved.ActivateAt })}" + (note is null ? "" : $". {note}"), null, cancellationToken);
            await audit.AppendAsync(connection, transaction, new AuditEntry(actor, ScheduleAuditKinds.Reschedule, row.Environment, $"schedule/{id}",
                Before: new { row.ReleaseId, row.ActivateAt, row.RevertAt, row.RevertTo, row.Cron, row.Duration, row.LeadTime },
                After: new { moved.ReleaseId, moved.ActivateAt, moved.RevertAt, moved.RevertTo, moved.Cron, moved.Duration, moved.LeadTime }), cancellationToken);
            await transaction.CommitAsync(cancellationToken);
        }

        await PlanSoonAsync(id, cancellationToken);
        return new ScheduleOutcome.Done((await views.GetAsync(id, withEvents: true, cancellationToken))!);
    }

    /// <summary>
    /// A manual publish or rollback on <paramref name="environment"/>: refused (409) while a schedule's window holds the
    /// environment, unless <paramref name="overrideSchedule"/>; then the schedule's occurrence is Overridden (its remaining
    /// steps skipped, a publication it started called off) and the override recorded.
    /// </summary>
    public async Task<ScheduleOutcome.Conflict?> GuardManualAsync(
        string environment, bool overrideSchedule, string action, string actor, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var holding = (await ScheduleStore.OpenInAsync(connection, environment, cancellationToken))
            .Where(s => s.State != ScheduleStates.Scheduled || now >= s.PrestageAt)
            .ToList();
        if (holding.Count == 0)
        {
            return null;
        }

        if (!overrideSchedule)
        {
            var first = holding[0];
            var zone = ScheduleTimes.FindZone(first.TimeZone) ?? TimeZoneInfo.Utc;
            return new ScheduleOutcome.Conflict(
                $"Schedule {first.Id} holds '{environment}' now ({first.State}: release {first.ReleaseId} at {ScheduleTimes.Local(first.ActivateAt, zone)}"
                + (first.RevertAt is { } revertAt ? $", revert at {ScheduleTimes.Local(revertAt, zone)}" : "")
                + $"). To {action} anyway, repeat with overrideSchedule=true: the schedule's remaining steps are then skipped.", first.Id);
        }

        foreach (var schedule in holding)
        {
            var row = await ScheduleStore.GetAsync(connection, schedule.Id, lockRow: true, cancellationToken);
            if (row is null || !ScheduleStates.IsOpen(row.State))
            {
                continue;
            }

            var (_, note) = await CallOffAsync(row, $"Schedule {row.Id} was overridden by a manual {action} by {actor}", actor, cancellationToken, reassertLive: false);
            var detail = $"Overridden by a manual {action} by {actor}; the remaining steps of occurrence {row.Occurrence} are skipped" + (note is null ? "" : $". {note}");
            var overridden = row with { State = ScheduleStates.Overridden, Reason = detail, AtRisk = null };
            await ScheduleStore.SaveAsync(connection, overridden, now, cancellationToken);
            await ScheduleStore.AddEventAsync(connection, row.Id, row.Occurrence, now, "overridden", detail, null, cancellationToken);
            await audit.AppendAsync(connection, transaction, new AuditEntry(actor, ScheduleAuditKinds.Override, environment, $"schedule/{row.Id}",
                $"manual {action} while the schedule held the environment", Before: new { row.State, row.ReleaseId, row.ActivateAt, row.RevertAt }),
                cancellationToken);
            LogOverridden(row.Id, action, actor);
            if (row.Recurring)
            {
                await ScheduleEngine.NextOccurrenceAsync(connection, overridden, now, cancellationToken);
            }
        }

        await transaction.CommitAsync(cancellationToken);
        return null;
    }

    /// <summary>Calls off the publication in flight of a schedule: whether it was (or there was none), and what happened.</summary>
    private async Task<(bool CalledOff, string? Note)> CallOffAsync(
        ScheduleRow row, string reason, string actor, CancellationToken cancellationToken, bool reassertLive = true)
    {
        var publication = row.State switch
        {
            ScheduleStates.Activating => row.ActivationPublicationId,
            ScheduleStates.Reverting => row.RevertPublicationId,
            _ => null,
        };
        if (publication is not { } publicationId)
        {
            return (true, null);
        }

        return await coordinator.CallOffAsync(publicationId, reason, actor, cancellationToken, reassertLive)
            ? (true, $"Publication {publicationId} was called off before anything switched")
            : (false, $"Publication {publicationId} had already switched and stays");
    }

    private async Task PlanSoonAsync(long id, CancellationToken cancellationToken)
    {
        try
        {
            await engine.FollowUpAsync(id, cancellationToken);
        }
        catch (Exception exception) when (exception is NpgsqlException or Quartz.SchedulerException)
        {
            // The follow-up of every instance plans it within a second.
            LogPlanDeferred(id, exception);
        }
    }

    private static async Task<ScheduleOutcome?> CheckRevertToAsync(
        NpgsqlConnection connection, ScheduleDefinitionResult.Valid definition, string environment, CancellationToken cancellationToken)
    {
        if (definition.RevertTo is not { } revertTo)
        {
            return null;
        }

        return await ReleaseStore.GetAsync(connection, revertTo, cancellationToken) is { } target && target.Environment == environment
            ? null
            : new ScheduleOutcome.Invalid("revertTo", $"Release {revertTo} is not a release of environment '{environment}'.");
    }

    private static async Task LockEnvironmentAsync(NpgsqlConnection connection, string environment, CancellationToken cancellationToken) =>
        await connection.ExecuteAsync("SELECT pg_advisory_xact_lock(@space, hashtext(@env))", cancellationToken,
            ("space", EnvironmentLockSpace), ("env", environment));

    private async Task<ScheduleOutcome.Conflict?> ConflictAsync(
        NpgsqlConnection connection, string environment, ScheduleDefinitionResult.Valid definition, long? exceptId, DateTimeOffset now,
        CancellationToken cancellationToken)
    {
        var until = now + options.Value.ConflictHorizon;
        var mine = ScheduleDefinition.Windows(definition.ActivateAt, definition.RevertAt, definition.Cron, definition.Duration, definition.LeadTime,
            definition.TimeZone, until).ToList();
        foreach (var other in await ScheduleStore.OpenInAsync(connection, environment, cancellationToken))
        {
            if (other.Id == exceptId)
            {
                continue;
            }

            var theirs = ScheduleDefinition.Windows(other.ActivateAt, other.RevertAt, other.Cron, other.Duration, other.LeadTime, other.TimeZone, until);
            foreach (var (start, end) in theirs)
            {
                if (mine.FirstOrDefault(w => w.Start <= end && start <= w.End) is { Start: var myStart } window && window != default)
                {
                    var zone = ScheduleTimes.FindZone(other.TimeZone) ?? TimeZoneInfo.Utc;
                    return new ScheduleOutcome.Conflict(
                        $"The window overlaps schedule {other.Id} on '{environment}' (release {other.ReleaseId}, from pre-staging at "
                        + $"{ScheduleTimes.Local(start, zone)} to {ScheduleTimes.Local(end, zone)}); this one starts pre-staging at {myStart:O}. "
                        + $"Cancel or move schedule {other.Id} first.", other.Id);
                }
            }
        }

        return null;
    }

    private static ScheduleRequest Merge(ScheduleRow row, ScheduleRequest request, TimeZoneInfo zone)
    {
        var recurring = request.Recurring ?? (row.Cron is null ? null : new RecurringWindow(row.Cron, row.Duration));
        var revertAt = request.RevertAt ?? (row.RevertAt is { } at && row.Cron is null ? ScheduleTimes.Local(at, zone) : null);
        return new ScheduleRequest(
            request.Release ?? row.ReleaseId,
            recurring is null ? request.ActivateAt ?? ScheduleTimes.Local(row.ActivateAt, zone) : null,
            request.TimeZone ?? row.TimeZone,
            recurring is null ? revertAt : null,
            request.RevertTo ?? row.RevertTo,
            recurring,
            request.LeadTime ?? row.LeadTime,
            request.Note ?? row.Note);
    }

    private static ScheduleDefinitionResult ReadRevertOnly(ScheduleRow row, ScheduleRequest request, TimeZoneInfo zone, DateTimeOffset now)
    {
        var lead = request.LeadTime ?? row.LeadTime;
        if (request.RevertAt is null)
        {
            return request.RevertTo is null
                ? new ScheduleDefinitionResult.Valid(row.ReleaseId, row.TimeZone, row.ActivateAt, null, null, row.Cron, row.Duration, lead, request.Note)
                : new ScheduleDefinitionResult.Invalid("revertTo", "revertTo names the release to go back to at revertAt; give revertAt too.");
        }

        if (!ScheduleTimes.TryParse(request.RevertAt, zone, out var revertAt, out var error))
        {
            return new ScheduleDefinitionResult.Invalid("revertAt", error!);
        }

        return revertAt <= now
            ? new ScheduleDefinitionResult.Invalid("revertAt", $"revertAt {revertAt:O} is not in the future (now is {now:O}); roll back instead.")
            : new ScheduleDefinitionResult.Valid(row.ReleaseId, row.TimeZone, row.ActivateAt, revertAt, request.RevertTo, row.Cron, row.Duration, lead, request.Note);
    }

    private static string Describe(ScheduleDefinitionResult.Valid definition)
    {
        var zone = ScheduleTimes.FindZone(definition.TimeZone) ?? TimeZoneInfo.Utc;
        var text = definition.Cron is { } cron
            ? $"release {definition.ReleaseId} every '{cron}' ({definition.TimeZone}) for {definition.Duration}, first at {ScheduleTimes.Local(definition.ActivateAt, zone)}"
            : $"release {definition.ReleaseId} at {ScheduleTimes.Local(definition.ActivateAt, zone)}";
        if (definition.Cron is null && definition.RevertAt is { } revertAt)
        {
            text += $", revert at {ScheduleTimes.Local(revertAt, zone)} to " + (definition.RevertTo is { } to ? $"release {to}" : "what was live before");
        }

        return text + $", lead time {definition.LeadTime}";
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Schedule {ScheduleId} created by {Actor}: release {ReleaseId} at {ActivateAt:O}")]
    private partial void LogCreated(long scheduleId, long releaseId, DateTimeOffset activateAt, string actor);

    [LoggerMessage(Level = LogLevel.Information, Message = "Schedule {ScheduleId} cancelled by {Actor}")]
    private partial void LogCancelled(long scheduleId, string actor);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Schedule {ScheduleId} overridden by a manual {Action} by {Actor}")]
    private partial void LogOverridden(long scheduleId, string action, string actor);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Planning the triggers of schedule {ScheduleId} is left to the follow-up")]
    private partial void LogPlanDeferred(long scheduleId, Exception exception);
}

/// <summary>Audit kinds of schedules (the audit log is issue 4's).</summary>
public static class ScheduleAuditKinds
{
    public const string Create = "schedule.create";
    public const string Cancel = "schedule.cancel";
    public const string Reschedule = "schedule.reschedule";

    /// <summary>A manual publish or rollback confirmed with overrideSchedule while a schedule held the environment.</summary>
    public const string Override = "schedule.override";
}
