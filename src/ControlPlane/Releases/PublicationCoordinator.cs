using System.Text.Json;
using ControlPlane.Agents;
using ControlPlane.Governance;
using ControlPlane.Infrastructure;
using ControlPlane.Waves;
using ControlPlane.Webhooks;
using Microsoft.Extensions.Options;
using ControlPlane.Tiers;
using Npgsql;

namespace ControlPlane.Releases;

/// <summary>What a publish or rollback request came to.</summary>
public abstract record PublishOutcome
{
    public sealed record Started(PublicationInfo Publication) : PublishOutcome;

    public sealed record NotFound(string Detail) : PublishOutcome;

    public sealed record Conflict(string Detail) : PublishOutcome;

    /// <summary>The request names something wrong (an unknown group in a wave, say): 400 naming the field.</summary>
    public sealed record Invalid(string Field, string Detail) : PublishOutcome;
    /// <summary>Governance refused it (a pin, missing approvals, an emergency not allowed): the status and what is missing.</summary>
    public sealed record Refused(int Status, string Title, string Detail, IDictionary<string, object?> Extensions) : PublishOutcome;
}

/// <summary>
/// The state machine of publications, kept in PostgreSQL so any control plane instance can drive it (I7).
/// Staging ends at the barrier: when every participating agent holds the release, a new fencing generation
/// is recorded and the agents are told to switch. Every transition locks the publication row first, then
/// the environment row, so concurrent reports and sweeps serialize without deadlocks.
/// </summary>
public sealed partial class PublicationCoordinator(
    NpgsqlDataSource dataSource,
    IOptions<PublishOptions> publishOptions,
    IOptions<AgentOptions> agentOptions,
    ColdReleaseCheck coldCheck,
    TimeProvider time,
    PublishGate gate,
    ILogger<PublicationCoordinator> logger)
{
    internal static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public Task<PublishOutcome> StartAsync(
        long releaseId, string kind, string actor, CancellationToken cancellationToken, ScheduledStart? scheduled = null) =>
        StartAsync(releaseId, kind, new PublishAuthority(actor), cancellationToken, scheduled);

    /// <summary>Starts a publication unless a pin or the approval policy stands in the way (Governance/PublishGate.cs).</summary>
    public async Task<PublishOutcome> StartAsync(
        long releaseId, string kind, PublishAuthority authority, CancellationToken cancellationToken, ScheduledStart? scheduled = null,
        WaveRequest? waves = null)
    {
        var actor = authority.Actor;
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var release = await ReleaseStore.GetAsync(connection, releaseId, cancellationToken);
        if (release is null)
        {
            return new PublishOutcome.NotFound($"There is no release {releaseId}.");
        }

        // Archived versions: every cold chunk is checked before anything is staged (throws naming version and chunk).
        await coldCheck.VerifyAsync(connection, release.Versions, cancellationToken);

        long? previousLive;
        await using (var lockEnvironment = connection.Command(
            "SELECT live_release_id FROM environments WHERE name = @env FOR UPDATE", ("env", release.Environment)))
        {
            previousLive = await lockEnvironment.ExecuteScalarAsync(cancellationToken) is long live ? live : null;
        }

        if (waves is not null && await WavePlanner.ValidateAsync(connection, release.Environment, waves, cancellationToken) is { } invalid)
        {
            return invalid;
        }

        if (await gate.CheckAsync(connection, release, kind, authority, cancellationToken) is { } refused)
        {
            return refused;
        }

        await using (var inFlight = connection.Command(
            "SELECT id, release_id, state FROM publications WHERE environment = @env AND state = ANY(@states)",
            ("env", release.Environment), ("states", PublicationStates.InFlight)))
        await using (var reader = await inFlight.ExecuteReaderAsync(cancellationToken))
        {
            if (await reader.ReadAsync(cancellationToken))
            {
                return new PublishOutcome.Conflict(
                    $"Release {reader.GetInt64(1)} is being published to '{release.Environment}' (publication {reader.GetInt64(0)}, {reader.GetString(2)}); wait for it to finish.");
            }
        }

        var now = time.GetUtcNow();
        var participants = await ParticipantsAsync(connection, release.Environment, now, cancellationToken);
        var publicationId = await connection.ScalarAsync<long>(
            """
            INSERT INTO publications (environment, release_id, kind, state, previous_release_id, requested_at, requested_by, stage_deadline_at,
                                      schedule_id, switch_at)
            VALUES (@env, @release, @kind, 'Staging', @previous, @now, @actor, @deadline, @schedule, @switchAt) RETURNING id
            """, cancellationToken,
            ("env", release.Environment), ("release", releaseId), ("kind", kind), ("previous", previousLive), ("now", now), ("actor", actor),
            ("deadline", scheduled?.StageDeadline ?? now + publishOptions.Value.StageTimeout), ("schedule", scheduled?.ScheduleId),
            ("switchAt", scheduled?.SwitchAt));
        foreach (var (agentId, report) in participants)
        {
            var phase = PhaseOf(report, releaseId, generation: null);
            await connection.ExecuteAsync(
                "INSERT INTO publication_agents (publication_id, agent_id, phase, staged_at) VALUES (@id, @agent, @phase, @stagedAt)",
                cancellationToken, ("id", publicationId), ("agent", agentId), ("phase", phase),
                ("stagedAt", phase == AgentPhases.Staged ? now : null));
        }

        await gate.RecordAsync(connection, transaction, release, kind, authority, previousLive, publicationId, cancellationToken);

        if (waves is not null)
        {
            await WaveStore.PlanAsync(connection, publicationId, waves, now, actor, cancellationToken);
        }

        // A release every agent already holds (a rollback to a hot release) goes straight to the switch.
        await EvaluateAsync(connection, publicationId, now, cancellationToken);
        await NotifyAsync(connection, release.Environment, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        LogStarted(kind, releaseId, release.Environment, publicationId, participants.Count);
        await using var read = connection.Command($"SELECT {ReleaseStore.PublicationColumns} FROM publications WHERE id = @id", ("id", publicationId));
        return new PublishOutcome.Started((await ReleaseStore.ReadPublicationAsync(connection, read, withAgents: true, cancellationToken))!);
    }

    /// <summary>Rolls back to <paramref name="toRelease"/>, or to the release that was live before the current one.</summary>
    public Task<PublishOutcome> RollbackAsync(string environment, long? toRelease, string actor, CancellationToken cancellationToken) =>
        RollbackAsync(environment, toRelease, new PublishAuthority(actor), cancellationToken);

    public async Task<PublishOutcome> RollbackAsync(string environment, long? toRelease, PublishAuthority authority, CancellationToken cancellationToken)
    {
        await using (var connection = await dataSource.OpenConnectionAsync(cancellationToken))
        {
            if (toRelease is null)
            {
                toRelease = await connection.ScalarAsync<long?>(
                    """
                    SELECT previous_release_id FROM publications
                    WHERE environment = @env AND state IN ('Live', 'Partial') ORDER BY id DESC LIMIT 1
                    """, cancellationToken, ("env", environment));
                if (toRelease is null)
                {
                    return new PublishOutcome.Conflict($"Environment '{environment}' has no earlier release to roll back to.");
                }
            }
            else if (await ReleaseStore.GetAsync(connection, toRelease.Value, cancellationToken) is not { } target || target.Environment != environment)
            {
                return new PublishOutcome.NotFound($"Release {toRelease} is not a release of environment '{environment}'.");
            }
        }

        return await StartAsync(toRelease.Value, "rollback", authority, cancellationToken);
    }

    /// <summary>Records an agent's report and moves the publication it takes part in, if any.</summary>
    public async Task RecordReportAsync(string agentId, string environment, AgentReport report, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);

        // The publications this agent may be moving: the one in flight, and a Partial one that may yet complete.
        var publications = new List<(long Id, long ReleaseId, long? Generation)>();
        await using (var command = connection.Command(
            """
            SELECT p.id, p.release_id, CASE WHEN p.wave_count IS NULL THEN p.generation ELSE w.generation END FROM publications p
            JOIN publication_agents pa ON pa.publication_id = p.id AND pa.agent_id = @agent
            LEFT JOIN publication_waves w ON w.publication_id = p.id AND w.wave = pa.wave
            WHERE p.environment = @env AND (p.state = ANY(@states) OR p.state = 'Partial')
            ORDER BY p.id FOR UPDATE OF p
            """, ("agent", agentId), ("env", environment), ("states", PublicationStates.InFlight)))
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                publications.Add((reader.GetInt64(0), reader.GetInt64(1), reader.GetNullable<long>(2)));
            }
        }

        await connection.ExecuteAsync(
            "UPDATE agents SET report = @report::jsonb, last_seen_at = @now, clock_offset_ms = @offset WHERE id = @id",
            cancellationToken, ("report", JsonSerializer.Serialize(report, Json)), ("now", now),
            ("offset", report.ClockOffsetMs ?? (report.SentAt - now).TotalMilliseconds), ("id", agentId));
        foreach (var (id, releaseId, generation) in publications)
        {
            var phase = PhaseOf(report, releaseId, generation);
            await connection.ExecuteAsync(
                """
                UPDATE publication_agents SET
                    phase = CASE WHEN phase = 'Switched' THEN phase ELSE @phase END,
                    records_staged = CASE WHEN @staging THEN @staged ELSE records_staged END,
                    records_total = CASE WHEN @staging THEN @total ELSE records_total END,
                    bytes = CASE WHEN @staging THEN @bytes ELSE bytes END,
                    staged_at = CASE WHEN @phase IN ('Staged', 'Switched') THEN coalesce(staged_at, @now) ELSE staged_at END,
                    switched_at = CASE WHEN @phase = 'Switched' THEN coalesce(switched_at, @now) ELSE switched_at END,
                    error = @error
                WHERE publication_id = @id AND agent_id = @agent
                """, cancellationToken,
                ("phase", phase), ("staging", report.Staging?.ReleaseId == releaseId), ("staged", report.Staging?.RecordsStaged ?? 0),
                ("total", report.Staging?.RecordsTotal ?? 0), ("bytes", report.Staging?.Bytes ?? 0), ("now", now), ("error", report.LastError),
                ("id", id), ("agent", agentId));
            if (await EvaluateAsync(connection, id, now, cancellationToken))
            {
                await NotifyAsync(connection, environment, cancellationToken);
            }
        }

        await transaction.CommitAsync(cancellationToken);
    }

    /// <summary>
    /// Moves every unfinished publication: applies deadlines, and completes ones whose agents changed without
    /// reporting through this publication (an agent removed, say). Safe to run on every instance at once.
    /// </summary>
    public async Task SweepAsync(CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var due = new List<(long Id, string Environment)>();
        await using (var command = connection.Command(
            """
            SELECT id, environment FROM publications
            WHERE state IN ('Staging', 'Staged', 'Switching', 'Holding', 'Aborting', 'Partial')
            FOR UPDATE SKIP LOCKED
            """))
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                due.Add((reader.GetInt64(0), reader.GetString(1)));
            }
        }

        foreach (var (id, environment) in due)
        {
            if (await EvaluateAsync(connection, id, now, cancellationToken))
            {
                await NotifyAsync(connection, environment, cancellationToken);
            }
        }

        await transaction.CommitAsync(cancellationToken);
    }

    /// <summary>Moves a locked publication as far as its agents allow; true when its state changed.</summary>
    private async Task<bool> EvaluateAsync(NpgsqlConnection connection, long publicationId, DateTimeOffset now, CancellationToken cancellationToken)
    {
        if (await connection.ScalarAsync<bool>("SELECT wave_count IS NOT NULL FROM publications WHERE id = @id", cancellationToken, ("id", publicationId)))
        {
            return await EvaluateWavesAsync(connection, publicationId, now, cancellationToken);
        }

        string state, environment;
        long releaseId;
        DateTimeOffset stageDeadline;
        DateTimeOffset? switchDeadline;
        await using (var command = connection.Command(
            "SELECT state, environment, release_id, stage_deadline_at, switch_deadline_at FROM publications WHERE id = @id", ("id", publicationId)))
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            await reader.ReadAsync(cancellationToken);
            (state, environment, releaseId) = (reader.GetString(0), reader.GetString(1), reader.GetInt64(2));
            stageDeadline = reader.GetFieldValue<DateTimeOffset>(3);
            switchDeadline = reader.GetNullable<DateTimeOffset>(4);
        }

        var agents = new List<(string Id, string Phase, string? Error)>();
        await using (var command = connection.Command(
            "SELECT agent_id, phase, error FROM publication_agents WHERE publication_id = @id ORDER BY agent_id", ("id", publicationId)))
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                agents.Add((reader.GetString(0), reader.GetString(1), reader.GetNullableString(2)));
            }
        }

        if (state is PublicationStates.Staging or PublicationStates.Staged)
        {
            if (agents.All(a => a.Phase is AgentPhases.Staged or AgentPhases.Switched)
                && await PassScheduledBarrierAsync(connection, publicationId, state, agents.Select(a => a.Id).ToList(), now, cancellationToken) is { } held)
            {
                return held;
            }

            if (agents.All(a => a.Phase is AgentPhases.Staged or AgentPhases.Switched))
            {
                // The barrier: a new fencing generation, and the order to switch.
                var generation = await connection.ScalarAsync<long>(
                    "UPDATE environments SET generation = generation + 1 WHERE name = @env RETURNING generation", cancellationToken, ("env", environment));
                await connection.ExecuteAsync(
                    "UPDATE publications SET state = 'Switching', generation = @generation, staged_at = @now, switch_deadline_at = @deadline WHERE id = @id",
                    cancellationToken, ("generation", generation), ("now", now), ("deadline", now + publishOptions.Value.SwitchTimeout), ("id", publicationId));
                LogBarrier(publicationId, releaseId, environment, generation);
                await ReleaseEvents.EnqueueAsync(connection, ReleaseEventKinds.Staged, environment, releaseId,
                    new { publicationId, generation, agents = agents.Count }, now, cancellationToken);
                if (agents.Count == 0)
                {
                    await GoLiveAsync(connection, publicationId, environment, releaseId, now, cancellationToken);
                }

                return true;
            }

            if (now >= stageDeadline)
            {
                var late = agents.Where(a => a.Phase is not (AgentPhases.Staged or AgentPhases.Switched)).ToList();
                var reason = $"Agents did not stage release {releaseId} within {publishOptions.Value.StageTimeout}: "
                    + string.Join("; ", late.Select(a => a.Error is null ? $"{a.Id} ({a.Phase})" : $"{a.Id} ({a.Phase}: {a.Error})"))
                    + ". Nothing was switched.";
                await EndAsync(connection, publicationId, PublicationStates.Failed, reason, now, cancellationToken);
                LogEnded(publicationId, PublicationStates.Failed, reason);
                await ReleaseEvents.EnqueueAsync(connection, ReleaseEventKinds.Failed, environment, releaseId, new { publicationId, reason }, now, cancellationToken);
                return true;
            }

            return false;
        }

        if (state is PublicationStates.Switching or PublicationStates.Partial)
        {
            if (agents.All(a => a.Phase == AgentPhases.Switched))
            {
                await GoLiveAsync(connection, publicationId, environment, releaseId, now, cancellationToken);
                return true;
            }

            if (state == PublicationStates.Switching && switchDeadline is { } deadline && now >= deadline)
            {
                var late = agents.Where(a => a.Phase != AgentPhases.Switched).Select(a => a.Error is null ? a.Id : $"{a.Id} ({a.Error})");
                var reason = $"Agents did not switch to release {releaseId} within {publishOptions.Value.SwitchTimeout}: {string.Join("; ", late)}. "
                    + "They keep retrying; roll back to undo the agents that did switch.";
                await connection.ExecuteAsync("UPDATE publications SET state = 'Partial', reason = @reason WHERE id = @id",
                    cancellationToken, ("reason", reason), ("id", publicationId));
                LogEnded(publicationId, PublicationStates.Partial, reason);
                await ReleaseEvents.EnqueueAsync(connection, ReleaseEventKinds.Partial, environment, releaseId, new { publicationId, reason }, now, cancellationToken);
                return true;
            }
        }

        return false;
    }

    private async Task GoLiveAsync(NpgsqlConnection connection, long publicationId, string environment, long releaseId, DateTimeOffset now, CancellationToken cancellationToken)
    {
        await connection.ExecuteAsync(
            "UPDATE publications SET state = 'Superseded', ended_at = coalesce(ended_at, @now) WHERE environment = @env AND state IN ('Live', 'Partial') AND id <> @id",
            cancellationToken, ("now", now), ("env", environment), ("id", publicationId));
        await connection.ExecuteAsync(
            "UPDATE publications SET state = 'Live', live_at = @now, ended_at = @now, reason = NULL WHERE id = @id",
            cancellationToken, ("now", now), ("id", publicationId));
        await connection.ExecuteAsync("UPDATE environments SET live_release_id = @release WHERE name = @env",
            cancellationToken, ("release", releaseId), ("env", environment));
        LogLive(publicationId, releaseId, environment);
        var (kind, previous, generation) = await PublicationSummaryAsync(connection, publicationId, cancellationToken);
        await ReleaseEvents.EnqueueAsync(connection, ReleaseEventKinds.Live, environment, releaseId,
            new { publicationId, kind, previousReleaseId = previous, generation }, now, cancellationToken);
        if (kind == "rollback")
        {
            await ReleaseEvents.EnqueueAsync(connection, ReleaseEventKinds.RolledBack, environment, releaseId,
                new { publicationId, fromReleaseId = previous, toReleaseId = releaseId, generation }, now, cancellationToken);
        }
    }

    private static async Task<(string Kind, long? Previous, long? Generation)> PublicationSummaryAsync(
        NpgsqlConnection connection, long publicationId, CancellationToken cancellationToken)
    {
        await using var command = connection.Command("SELECT kind, previous_release_id, generation FROM publications WHERE id = @id", ("id", publicationId));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        return (reader.GetString(0), reader.GetNullable<long>(1), reader.GetNullable<long>(2));
    }

    private static Task<int> EndAsync(NpgsqlConnection connection, long publicationId, string state, string reason, DateTimeOffset now, CancellationToken cancellationToken) =>
        connection.ExecuteAsync("UPDATE publications SET state = @state, reason = @reason, ended_at = @now WHERE id = @id",
            cancellationToken, ("state", state), ("reason", reason), ("now", now), ("id", publicationId));

    private async Task<List<(string AgentId, AgentReport? Report)>> ParticipantsAsync(
        NpgsqlConnection connection, string environment, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var participants = new List<(string, AgentReport?)>();
        await using var command = connection.Command(
            "SELECT id, report::text FROM agents WHERE environment = @env AND last_seen_at >= @since ORDER BY id",
            ("env", environment), ("since", now - TimeSpan.FromSeconds(agentOptions.Value.StaleAfterSeconds)));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            participants.Add((reader.GetString(0), ParseReport(reader.GetString(1))));
        }

        return participants;
    }

    internal static AgentReport? ParseReport(string json)
    {
        try
        {
            return JsonSerializer.Deserialize<AgentReport>(json, Json) is { Held: not null } report ? report : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    internal static string PhaseOf(AgentReport? report, long releaseId, long? generation) =>
        report is null ? AgentPhases.Waiting
        : generation is { } g && report.LiveReleaseId == releaseId && report.LiveGeneration >= g ? AgentPhases.Switched
        : report.Held.Any(h => h.ReleaseId == releaseId) ? AgentPhases.Staged
        : report.Staging?.ReleaseId == releaseId ? AgentPhases.Staging
        : AgentPhases.Waiting;

    private static async Task NotifyAsync(NpgsqlConnection connection, string environment, CancellationToken cancellationToken)
    {
        await using var notify = DesiredStateListener.Notify(connection, environment);
        await notify.ExecuteNonQueryAsync(cancellationToken);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Started {Kind} of release {ReleaseId} to {Environment} as publication {PublicationId} with {Agents} agents")]
    private partial void LogStarted(string kind, long releaseId, string environment, long publicationId, int agents);

    [LoggerMessage(Level = LogLevel.Information, Message = "Publication {PublicationId}: every agent holds release {ReleaseId}; {Environment} switches at generation {Generation}")]
    private partial void LogBarrier(long publicationId, long releaseId, string environment, long generation);

    [LoggerMessage(Level = LogLevel.Information, Message = "Publication {PublicationId}: release {ReleaseId} is live in {Environment}")]
    private partial void LogLive(long publicationId, long releaseId, string environment);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Publication {PublicationId} ended {State}: {Reason}")]
    private partial void LogEnded(long publicationId, string state, string reason);
}
