using ControlPlane.Audit;
using ControlPlane.Infrastructure;
using ControlPlane.Waves;
using ControlPlane.Webhooks;
using Npgsql;

namespace ControlPlane.Releases;

/// <summary>
/// Publications in waves: each wave is a two-phase publish of its own agents (stage, barrier with a new generation,
/// switch); between waves the publication is Holding until promoted (by request or when its hold time is up, driven by
/// the sweeper from PostgreSQL); abort sends the waves already live back to the release live before.
/// </summary>
public sealed partial class PublicationCoordinator
{
    private const string HoldTimer = "hold-timer";

    /// <summary>Audit kinds of this feature.</summary>
    public const string PromoteAuditKind = "release.promote";

    public const string AbortAuditKind = "release.abort";

    // The audit log only needs the data source and the clock; made here so the coordinator's constructor stays as it is.
    private AuditLog Audit => new(dataSource, time);

    /// <summary>Starts the next wave of the release's publication, which must be Holding.</summary>
    public async Task<PublishOutcome> PromoteAsync(long releaseId, string actor, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        if (await LockWavedPublicationAsync(connection, releaseId, "promote", cancellationToken) is not { } found)
        {
            return await NoWavedPublicationAsync(connection, releaseId, "promote", cancellationToken);
        }

        if (found.Outcome is { } refused)
        {
            return refused;
        }

        var (id, environment, state, currentWave, waveCount) = found.Publication;
        if (state != PublicationStates.Holding)
        {
            return new PublishOutcome.Conflict(
                $"Publication {id} of release {releaseId} is {state} (wave {currentWave + 1} of {waveCount}); promote applies while it is Holding after a wave went live.");
        }

        await PromoteLockedAsync(connection, id, environment, releaseId, actor, now, cancellationToken);
        await NotifyAsync(connection, environment, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return new PublishOutcome.Started((await ReadPublicationAsync(connection, id, cancellationToken))!);
    }

    /// <summary>
    /// Stops the release's publication in waves: waves not yet switched are cancelled, and the waves already live (or
    /// switching) switch back to the release that was live before, at a new generation.
    /// </summary>
    public async Task<PublishOutcome> AbortAsync(long releaseId, string actor, string? reason, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        if (await LockWavedPublicationAsync(connection, releaseId, "abort", cancellationToken) is not { } found)
        {
            return await NoWavedPublicationAsync(connection, releaseId, "abort", cancellationToken);
        }

        if (found.Outcome is { } refused)
        {
            return refused;
        }

        var (id, environment, state, currentWave, waveCount) = found.Publication;
        if (state is not (PublicationStates.Staging or PublicationStates.Staged or PublicationStates.Switching or PublicationStates.Holding))
        {
            return new PublishOutcome.Conflict(
                $"Publication {id} of release {releaseId} is {state} (wave {currentWave + 1} of {waveCount}); abort applies while it is Staging, Switching or Holding."
                + (state is PublicationStates.Live or PublicationStates.Partial ? $" Roll back with POST /api/v1/environments/{environment}/rollback." : ""));
        }

        var switched = await connection.ScalarAsync<bool>(
            "SELECT EXISTS (SELECT 1 FROM publication_waves WHERE publication_id = @id AND generation IS NOT NULL)", cancellationToken, ("id", id));
        var previous = await connection.ScalarAsync<long?>("SELECT previous_release_id FROM publications WHERE id = @id", cancellationToken, ("id", id));
        if (switched && previous is null)
        {
            return new PublishOutcome.Conflict(
                $"No release was live in '{environment}' before release {releaseId}, so the waves already live have nothing to go back to; promote, or publish another release.");
        }

        await BeginAbortAsync(connection, id, environment, releaseId, actor,
            $"Aborted by {actor}" + (string.IsNullOrWhiteSpace(reason) ? "." : $": {reason}"), now, cancellationToken);
        await NotifyAsync(connection, environment, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return new PublishOutcome.Started((await ReadPublicationAsync(connection, id, cancellationToken))!);
    }

    private sealed record LockedPublication((long Id, string Environment, string State, int CurrentWave, int WaveCount) Publication, PublishOutcome? Outcome);

    /// <summary>Locks the release's latest publication; null when it has none. An outcome when it has no waves.</summary>
    private static async Task<LockedPublication?> LockWavedPublicationAsync(NpgsqlConnection connection, long releaseId, string verb, CancellationToken cancellationToken)
    {
        await using var command = connection.Command(
            """
            SELECT id, environment, state, current_wave, wave_count FROM publications WHERE release_id = @release
            ORDER BY id DESC LIMIT 1 FOR UPDATE
            """, ("release", releaseId));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        if (!await reader.ReadAsync(cancellationToken))
        {
            return null;
        }

        var publication = (reader.GetInt64(0), reader.GetString(1), reader.GetString(2), reader.GetNullable<int>(3) ?? 0, reader.GetNullable<int>(4) ?? 0);
        return reader.IsDBNull(4)
            ? new LockedPublication(publication, new PublishOutcome.Conflict(
                $"Publication {publication.Item1} of release {releaseId} is {publication.Item3} and was not published in waves; there is nothing to {verb}."))
            : new LockedPublication(publication, null);
    }

    private static async Task<PublishOutcome> NoWavedPublicationAsync(NpgsqlConnection connection, long releaseId, string verb, CancellationToken cancellationToken) =>
        await ReleaseStore.GetAsync(connection, releaseId, cancellationToken) is null
            ? new PublishOutcome.NotFound($"There is no release {releaseId}.")
            : new PublishOutcome.Conflict($"Release {releaseId} is Pending (never published); there is nothing to {verb}.");

    private static async Task<PublicationInfo?> ReadPublicationAsync(NpgsqlConnection connection, long id, CancellationToken cancellationToken)
    {
        await using var read = connection.Command($"SELECT {ReleaseStore.PublicationColumns} FROM publications WHERE id = @id", ("id", id));
        return await ReleaseStore.ReadPublicationAsync(connection, read, withAgents: true, cancellationToken);
    }

    /// <summary>Moves a locked publication in waves as far as its current wave's agents allow; true when something changed.</summary>
    private async Task<bool> EvaluateWavesAsync(NpgsqlConnection connection, long publicationId, DateTimeOffset now, CancellationToken cancellationToken)
    {
        string state, environment;
        long releaseId;
        DateTimeOffset stageDeadline;
        DateTimeOffset? switchDeadline, holdUntil;
        int currentWave, waveCount;
        long? previous, abortGeneration;
        string? reason;
        await using (var command = connection.Command(
            """
            SELECT state, environment, release_id, stage_deadline_at, switch_deadline_at, current_wave, wave_count, hold_until,
                   previous_release_id, abort_generation, reason
            FROM publications WHERE id = @id
            """, ("id", publicationId)))
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            await reader.ReadAsync(cancellationToken);
            (state, environment, releaseId) = (reader.GetString(0), reader.GetString(1), reader.GetInt64(2));
            (stageDeadline, switchDeadline) = (reader.GetFieldValue<DateTimeOffset>(3), reader.GetNullable<DateTimeOffset>(4));
            (currentWave, waveCount, holdUntil) = (reader.GetInt32(5), reader.GetInt32(6), reader.GetNullable<DateTimeOffset>(7));
            (previous, abortGeneration, reason) = (reader.GetNullable<long>(8), reader.GetNullable<long>(9), reader.GetNullableString(10));
        }

        if (state == PublicationStates.Aborting)
        {
            return await EvaluateAbortAsync(connection, publicationId, environment, releaseId, previous!.Value, abortGeneration!.Value, switchDeadline, now, cancellationToken);
        }

        if (state == PublicationStates.Holding)
        {
            if (holdUntil is { } until && now >= until)
            {
                await PromoteLockedAsync(connection, publicationId, environment, releaseId, HoldTimer, now, cancellationToken);
                return true;
            }

            return false;
        }

        var agents = new List<(string Id, string Phase, string? Error)>();
        await using (var command = connection.Command(
            "SELECT agent_id, phase, error FROM publication_agents WHERE publication_id = @id AND wave = @wave ORDER BY agent_id",
            ("id", publicationId), ("wave", currentWave)))
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                agents.Add((reader.GetString(0), reader.GetString(1), reader.GetNullableString(2)));
            }
        }

        var waveLabel = $"wave {currentWave + 1} of {waveCount}";
        if (state is PublicationStates.Staging or PublicationStates.Staged)
        {
            if (agents.All(a => a.Phase is AgentPhases.Staged or AgentPhases.Switched))
            {
                // The wave's barrier: a new fencing generation; only this wave's agents are told to switch.
                var generation = await connection.ScalarAsync<long>(
                    "UPDATE environments SET generation = generation + 1 WHERE name = @env RETURNING generation", cancellationToken, ("env", environment));
                await connection.ExecuteAsync(
                    "UPDATE publication_waves SET state = 'Switching', generation = @generation, staged_at = @now WHERE publication_id = @id AND wave = @wave",
                    cancellationToken, ("generation", generation), ("now", now), ("id", publicationId), ("wave", currentWave));
                await connection.ExecuteAsync(
                    """
                    UPDATE publications SET state = 'Switching', generation = @generation, staged_at = coalesce(staged_at, @now),
                        switch_deadline_at = @deadline, reason = NULL
                    WHERE id = @id
                    """, cancellationToken, ("generation", generation), ("now", now), ("deadline", now + publishOptions.Value.SwitchTimeout), ("id", publicationId));
                LogWaveBarrier(publicationId, currentWave + 1, waveCount, environment, generation);
                await ReleaseEvents.EnqueueAsync(connection, ReleaseEventKinds.Staged, environment, releaseId,
                    new { publicationId, wave = currentWave, waves = waveCount, generation, agents = agents.Select(a => a.Id) }, now, cancellationToken);
                if (agents.All(a => a.Phase == AgentPhases.Switched))
                {
                    await WaveLiveAsync(connection, publicationId, environment, releaseId, currentWave, waveCount, now, cancellationToken);
                }

                return true;
            }

            if (now >= stageDeadline)
            {
                var late = agents.Where(a => a.Phase is not (AgentPhases.Staged or AgentPhases.Switched))
                    .Select(a => a.Error is null ? $"{a.Id} ({a.Phase})" : $"{a.Id} ({a.Phase}: {a.Error})");
                var why = $"Agents of {waveLabel} did not stage release {releaseId} within {publishOptions.Value.StageTimeout}: {string.Join("; ", late)}.";
                if (currentWave > 0 && previous is not null)
                {
                    await BeginAbortAsync(connection, publicationId, environment, releaseId, "stage-deadline",
                        why + $" The waves already live go back to release {previous}.", now, cancellationToken);
                    return true;
                }

                why += currentWave == 0 ? " Nothing was switched." : " The waves already live stay on it (nothing was live before to go back to).";
                await connection.ExecuteAsync(
                    "UPDATE publication_waves SET state = CASE WHEN wave = @wave THEN 'Failed' ELSE 'Cancelled' END, ended_at = @now WHERE publication_id = @id AND wave >= @wave",
                    cancellationToken, ("wave", currentWave), ("now", now), ("id", publicationId));
                await EndAsync(connection, publicationId, PublicationStates.Failed, why, now, cancellationToken);
                LogEnded(publicationId, PublicationStates.Failed, why);
                await ReleaseEvents.EnqueueAsync(connection, ReleaseEventKinds.Failed, environment, releaseId,
                    new { publicationId, wave = currentWave, reason = why }, now, cancellationToken);
                return true;
            }

            return false;
        }

        if (state is PublicationStates.Switching or PublicationStates.Partial)
        {
            if (agents.All(a => a.Phase == AgentPhases.Switched))
            {
                await WaveLiveAsync(connection, publicationId, environment, releaseId, currentWave, waveCount, now, cancellationToken);
                return true;
            }

            if (state == PublicationStates.Switching && switchDeadline is { } deadline && now >= deadline && reason is null)
            {
                var late = agents.Where(a => a.Phase != AgentPhases.Switched).Select(a => a.Error is null ? a.Id : $"{a.Id} ({a.Error})");
                var why = $"Agents of {waveLabel} did not switch to release {releaseId} within {publishOptions.Value.SwitchTimeout}: {string.Join("; ", late)}. They keep retrying; "
                    + (currentWave + 1 == waveCount ? "roll back to undo the agents that did switch." : "abort to send the waves already live back.");

                // The last wave ends Partial as an all-at-once publication would; an earlier one keeps switching (it holds
                // the environment until the agents switch, or someone aborts).
                var next = currentWave + 1 == waveCount ? PublicationStates.Partial : PublicationStates.Switching;
                await connection.ExecuteAsync("UPDATE publications SET state = @state, reason = @reason WHERE id = @id",
                    cancellationToken, ("state", next), ("reason", why), ("id", publicationId));
                LogEnded(publicationId, next, why);
                if (next == PublicationStates.Partial)
                {
                    await ReleaseEvents.EnqueueAsync(connection, ReleaseEventKinds.Partial, environment, releaseId, new { publicationId, reason = why }, now, cancellationToken);
                }

                return true;
            }
        }

        return false;
    }

    /// <summary>Every agent of the current wave switched: the last wave makes the release live; an earlier one holds.</summary>
    private async Task WaveLiveAsync(NpgsqlConnection connection, long publicationId, string environment, long releaseId, int wave, int waveCount,
        DateTimeOffset now, CancellationToken cancellationToken)
    {
        await connection.ExecuteAsync(
            "UPDATE publication_waves SET state = 'Live', live_at = @now WHERE publication_id = @id AND wave = @wave",
            cancellationToken, ("now", now), ("id", publicationId), ("wave", wave));
        if (wave + 1 == waveCount)
        {
            await GoLiveAsync(connection, publicationId, environment, releaseId, now, cancellationToken);
            return;
        }

        var holdSeconds = await connection.ScalarAsync<int?>("SELECT hold_seconds FROM publications WHERE id = @id", cancellationToken, ("id", publicationId));
        DateTimeOffset? holdUntil = holdSeconds is { } seconds ? now + TimeSpan.FromSeconds(seconds) : null;
        await connection.ExecuteAsync(
            "UPDATE publications SET state = 'Holding', hold_until = @until, switch_deadline_at = NULL, reason = NULL WHERE id = @id",
            cancellationToken, ("until", holdUntil), ("id", publicationId));
        LogWaveHeld(publicationId, wave + 1, waveCount, releaseId, environment, holdUntil);
        await ReleaseEvents.EnqueueAsync(connection, ReleaseEventKinds.WaveHeld, environment, releaseId,
            new { publicationId, wave, waves = waveCount, holdUntil }, now, cancellationToken);
        if (holdSeconds == 0)
        {
            await PromoteLockedAsync(connection, publicationId, environment, releaseId, HoldTimer, now, cancellationToken);
        }
    }

    private async Task PromoteLockedAsync(NpgsqlConnection connection, long publicationId, string environment, long releaseId, string actor,
        DateTimeOffset now, CancellationToken cancellationToken)
    {
        var next = await connection.ScalarAsync<int>(
            """
            UPDATE publications SET state = 'Staging', current_wave = current_wave + 1, hold_until = NULL, switch_deadline_at = NULL,
                stage_deadline_at = @deadline, reason = NULL
            WHERE id = @id RETURNING current_wave
            """, cancellationToken, ("deadline", now + publishOptions.Value.StageTimeout), ("id", publicationId));
        await connection.ExecuteAsync(
            "UPDATE publication_waves SET state = 'Staging', started_at = @now, started_by = @actor WHERE publication_id = @id AND wave = @wave",
            cancellationToken, ("now", now), ("actor", actor), ("id", publicationId), ("wave", next));
        var waveCount = await connection.ScalarAsync<int>("SELECT wave_count FROM publications WHERE id = @id", cancellationToken, ("id", publicationId));
        LogWavePromoted(publicationId, next + 1, waveCount, actor);
        await Audit.AppendAsync(connection, null, new AuditEntry(actor, PromoteAuditKind, environment, $"release:{releaseId}",
            Before: new { publicationId, state = PublicationStates.Holding, wave = next - 1 },
            After: new { publicationId, state = PublicationStates.Staging, wave = next, waves = waveCount }), cancellationToken);
        await ReleaseEvents.EnqueueAsync(connection, ReleaseEventKinds.WavePromoted, environment, releaseId,
            new { publicationId, wave = next, waves = waveCount, by = actor }, now, cancellationToken);

        // The wave's agents may hold the release already: then it goes straight to its barrier.
        await EvaluateWavesAsync(connection, publicationId, now, cancellationToken);
    }

    private async Task BeginAbortAsync(NpgsqlConnection connection, long publicationId, string environment, long releaseId, string actor, string reason,
        DateTimeOffset now, CancellationToken cancellationToken)
    {
        var previous = await connection.ScalarAsync<long?>("SELECT previous_release_id FROM publications WHERE id = @id", cancellationToken, ("id", publicationId));
        var stateBefore = await connection.ScalarAsync<string>("SELECT state FROM publications WHERE id = @id", cancellationToken, ("id", publicationId));
        var reverting = new List<int>();
        await using (var command = connection.Command(
            "SELECT wave FROM publication_waves WHERE publication_id = @id AND generation IS NOT NULL ORDER BY wave", ("id", publicationId)))
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                reverting.Add(reader.GetInt32(0));
            }
        }

        await connection.ExecuteAsync(
            "UPDATE publication_waves SET state = 'Cancelled', ended_at = @now WHERE publication_id = @id AND generation IS NULL",
            cancellationToken, ("now", now), ("id", publicationId));
        if (reverting.Count == 0 || previous is null)
        {
            var why = reason + " No wave had switched; nothing was visible.";
            await EndAsync(connection, publicationId, PublicationStates.Aborted, why, now, cancellationToken);
            LogEnded(publicationId, PublicationStates.Aborted, why);
            await Audit.AppendAsync(connection, null, new AuditEntry(actor, AbortAuditKind, environment, $"release:{releaseId}", why,
                Before: new { publicationId, state = stateBefore }, After: new { publicationId, state = PublicationStates.Aborted }), cancellationToken);
            await ReleaseEvents.EnqueueAsync(connection, ReleaseEventKinds.WaveAborted, environment, releaseId,
                new { publicationId, by = actor, reason = why, revertingWaves = reverting }, now, cancellationToken);
            return;
        }

        // A new generation, given only to the agents of the waves that switched: the others never change.
        var generation = await connection.ScalarAsync<long>(
            "UPDATE environments SET generation = generation + 1 WHERE name = @env RETURNING generation", cancellationToken, ("env", environment));
        await connection.ExecuteAsync(
            "UPDATE publication_waves SET state = 'Reverting' WHERE publication_id = @id AND generation IS NOT NULL",
            cancellationToken, ("id", publicationId));
        await connection.ExecuteAsync(
            """
            UPDATE publications SET state = 'Aborting', abort_generation = @generation, hold_until = NULL,
                switch_deadline_at = @deadline, reason = @reason
            WHERE id = @id
            """, cancellationToken, ("generation", generation), ("deadline", now + publishOptions.Value.SwitchTimeout), ("reason", reason), ("id", publicationId));
        LogAborting(publicationId, releaseId, environment, previous.Value, generation, actor);
        await Audit.AppendAsync(connection, null, new AuditEntry(actor, AbortAuditKind, environment, $"release:{releaseId}", reason,
            Before: new { publicationId, state = stateBefore },
            After: new { publicationId, state = PublicationStates.Aborting, revertingWaves = reverting, backToReleaseId = previous, generation }), cancellationToken);
        await ReleaseEvents.EnqueueAsync(connection, ReleaseEventKinds.WaveAborted, environment, releaseId,
            new { publicationId, by = actor, reason, revertingWaves = reverting, backToReleaseId = previous, generation }, now, cancellationToken);
    }

    /// <summary>Aborting ends when every agent of the reverting waves reports the previous release at the abort's generation.</summary>
    private async Task<bool> EvaluateAbortAsync(NpgsqlConnection connection, long publicationId, string environment, long releaseId, long previous,
        long abortGeneration, DateTimeOffset? deadline, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var pending = new List<string>();
        await using (var command = connection.Command(
            """
            SELECT a.id, a.report::text FROM publication_agents pa
            JOIN publication_waves w ON w.publication_id = pa.publication_id AND w.wave = pa.wave AND w.generation IS NOT NULL
            JOIN agents a ON a.id = pa.agent_id
            WHERE pa.publication_id = @id ORDER BY a.id
            """, ("id", publicationId)))
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                var report = ParseReport(reader.GetString(1));
                if (report is null || report.LiveReleaseId != previous || report.LiveGeneration < abortGeneration)
                {
                    pending.Add(reader.GetString(0));
                }
            }
        }

        var done = pending.Count == 0;
        if (!done && (deadline is null || now < deadline))
        {
            return false;
        }

        var reason = await connection.ScalarAsync<string>("SELECT reason FROM publications WHERE id = @id", cancellationToken, ("id", publicationId));
        reason += done
            ? $" The waves that had switched are back on release {previous}."
            : $" Agents not back on release {previous} within {publishOptions.Value.SwitchTimeout}: {string.Join(", ", pending)}; they are still told to switch back.";
        await connection.ExecuteAsync(
            "UPDATE publication_waves SET state = 'Reverted', ended_at = @now WHERE publication_id = @id AND state = 'Reverting'",
            cancellationToken, ("now", now), ("id", publicationId));
        await EndAsync(connection, publicationId, PublicationStates.Aborted, reason, now, cancellationToken);
        LogEnded(publicationId, PublicationStates.Aborted, reason);
        await ReleaseEvents.EnqueueAsync(connection, ReleaseEventKinds.RolledBack, environment, releaseId,
            new { publicationId, fromReleaseId = releaseId, toReleaseId = previous, generation = abortGeneration, reason }, now, cancellationToken);
        return true;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Publication {PublicationId}: wave {Wave} of {Waves} staged; {Environment} switches it at generation {Generation}")]
    private partial void LogWaveBarrier(long publicationId, int wave, int waves, string environment, long generation);

    [LoggerMessage(Level = LogLevel.Information, Message = "Publication {PublicationId}: wave {Wave} of {Waves} of release {ReleaseId} is live in {Environment}; holding (until {HoldUntil})")]
    private partial void LogWaveHeld(long publicationId, int wave, int waves, long releaseId, string environment, DateTimeOffset? holdUntil);

    [LoggerMessage(Level = LogLevel.Information, Message = "Publication {PublicationId}: wave {Wave} of {Waves} promoted by {Actor}")]
    private partial void LogWavePromoted(long publicationId, int wave, int waves, string actor);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Publication {PublicationId} of release {ReleaseId} aborted by {Actor}: {Environment} goes back to release {PreviousReleaseId} at generation {Generation}")]
    private partial void LogAborting(long publicationId, long releaseId, string environment, long previousReleaseId, long generation, string actor);
}
