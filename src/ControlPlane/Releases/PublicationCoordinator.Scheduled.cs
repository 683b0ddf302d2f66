using ControlPlane.Infrastructure;
using Npgsql;

namespace ControlPlane.Releases;

/// <summary>
/// A publication started by a schedule: staged ahead of time, it waits at the barrier and is then armed with the
/// instant the agents switch at (<see cref="SwitchAt"/>), from their own clocks. <see cref="StageDeadline"/> is when it
/// fails if not every agent holds the release by then.
/// </summary>
public sealed record ScheduledStart(long ScheduleId, DateTimeOffset? SwitchAt, DateTimeOffset StageDeadline);

/// <summary>What arming found: the reasons (one per agent) that kept it from arming, none when it armed.</summary>
public sealed record ArmingCheck(IReadOnlyList<string> Blockers);

// Scheduled publications (docs/decisions.md, "Schedules"): the barrier of a publication with a switch time arms the
// switch instead of ordering it, when every agent's clock is close enough to the control plane's.
public sealed partial class PublicationCoordinator
{
    /// <summary>
    /// At the barrier of a scheduled publication: arms the switch (state Switching with its time) when every agent's clock
    /// is within the skew limit, else holds it Staged with the reason. Null when the barrier is an ordinary one (no
    /// switch time, or the time has come: the switch goes out at once).
    /// </summary>
    private async Task<bool?> PassScheduledBarrierAsync(
        NpgsqlConnection connection, long publicationId, string state, List<string> agentIds, DateTimeOffset now,
        CancellationToken cancellationToken)
    {
        var switchAt = await connection.ScalarAsync<DateTimeOffset?>(
            "SELECT switch_at FROM publications WHERE id = @id", cancellationToken, ("id", publicationId));
        if (switchAt is not { } at || now >= at)
        {
            return null;
        }

        var blockers = await ArmingBlockersAsync(connection, agentIds, cancellationToken);
        if (agentIds.Count == 0)
        {
            blockers = ["no agent is connected to hold the switch; the control plane switches at the activation time"];
        }

        if (blockers.Count > 0)
        {
            var reason = "Not armed: " + string.Join("; ", blockers) + ".";
            var changed = await connection.ExecuteAsync(
                "UPDATE publications SET state = 'Staged', reason = @reason WHERE id = @id AND (state <> 'Staged' OR reason IS DISTINCT FROM @reason)",
                cancellationToken, ("reason", reason), ("id", publicationId)) > 0;
            if (changed)
            {
                LogArmingBlocked(publicationId, reason);
            }

            return state != PublicationStates.Staged;
        }

        var environment = await connection.ScalarAsync<string>("SELECT environment FROM publications WHERE id = @id", cancellationToken, ("id", publicationId));
        var generation = await connection.ScalarAsync<long>(
            "UPDATE environments SET generation = generation + 1 WHERE name = @env RETURNING generation", cancellationToken, ("env", environment));
        await connection.ExecuteAsync(
            """
            UPDATE publications SET state = 'Switching', generation = @generation, staged_at = coalesce(staged_at, @now), armed_at = @now,
                switch_deadline_at = @deadline, reason = NULL
            WHERE id = @id
            """, cancellationToken, ("generation", generation), ("now", now), ("deadline", at + publishOptions.Value.SwitchTimeout), ("id", publicationId));
        LogArmed(publicationId, environment!, generation, at);
        return true;
    }

    /// <summary>Agents whose last measured clock offset exceeds the skew limit, or who never reported one.</summary>
    private async Task<List<string>> ArmingBlockersAsync(NpgsqlConnection connection, List<string> agentIds, CancellationToken cancellationToken)
    {
        var limit = agentOptions.Value.MaxClockSkewMs;
        var blockers = new List<string>();
        await using var command = connection.Command("SELECT id, clock_offset_ms FROM agents WHERE id = ANY(@ids) ORDER BY id", ("ids", agentIds.ToArray()));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            var offset = reader.GetNullable<double>(1);
            if (offset is null)
            {
                blockers.Add($"agent {reader.GetString(0)} has not reported its clock offset");
            }
            else if (Math.Abs(offset.Value) > limit)
            {
                blockers.Add($"agent {reader.GetString(0)} clock is {offset.Value:+0;-0} ms off the control plane's (limit {limit} ms)");
            }
        }

        return blockers;
    }

    /// <summary>
    /// The activation time of a scheduled publication has come and it was not armed (an agent's clock was off): order the
    /// switch now, from the control plane, as an ordinary barrier does. Returns the publication's state afterwards.
    /// </summary>
    public async Task<string?> SwitchNowAsync(long publicationId, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var row = await LockAsync(connection, publicationId, cancellationToken);
        if (row is not { } publication)
        {
            return null;
        }

        if (publication.State is PublicationStates.Staging or PublicationStates.Staged)
        {
            await connection.ExecuteAsync("UPDATE publications SET switch_at = NULL WHERE id = @id", cancellationToken, ("id", publicationId));
            if (await EvaluateAsync(connection, publicationId, now, cancellationToken))
            {
                await NotifyAsync(connection, publication.Environment, cancellationToken);
            }
        }

        await transaction.CommitAsync(cancellationToken);
        return await connection.ScalarAsync<string>("SELECT state FROM publications WHERE id = @id", cancellationToken, ("id", publicationId));
    }

    /// <summary>
    /// Calls off a publication that has not switched anything yet (a cancelled or overridden schedule). One that was armed
    /// had agents holding a switch order: the live release is ordered again under a newer generation, so an agent that did
    /// not hear of the cancellation in time and switched is brought back. Returns false when the publication is past that
    /// point (Live, or agents already switched).
    /// </summary>
    /// <param name="reassertLive">False when the caller makes another release live right away (a manual publish overriding a
    /// schedule): its newer generation brings such an agent back anyway.</param>
    public async Task<bool> CallOffAsync(long publicationId, string reason, string actor, CancellationToken cancellationToken, bool reassertLive = true)
    {
        var now = time.GetUtcNow();
        long? reassert = null;
        string environment;
        await using (var connection = await dataSource.OpenConnectionAsync(cancellationToken))
        await using (var transaction = await connection.BeginTransactionAsync(cancellationToken))
        {
            if (await LockAsync(connection, publicationId, cancellationToken) is not { } publication)
            {
                return false;
            }

            environment = publication.Environment;
            if (!PublicationStates.IsInFlight(publication.State))
            {
                return publication.State is PublicationStates.Failed or PublicationStates.Aborted;
            }

            var switched = await connection.ScalarAsync<bool>(
                "SELECT EXISTS (SELECT 1 FROM publication_agents WHERE publication_id = @id AND phase = 'Switched')", cancellationToken, ("id", publicationId));
            if (switched || (publication.State == PublicationStates.Switching && (publication.SwitchAt is null || publication.SwitchAt <= now)))
            {
                return false;
            }

            await EndAsync(connection, publicationId, PublicationStates.Aborted, reason, now, cancellationToken);
            if (publication.State == PublicationStates.Switching && reassertLive)
            {
                reassert = await connection.ScalarAsync<long?>("SELECT live_release_id FROM environments WHERE name = @env", cancellationToken, ("env", environment));
            }

            await NotifyAsync(connection, environment, cancellationToken);
            await transaction.CommitAsync(cancellationToken);
            LogEnded(publicationId, PublicationStates.Aborted, reason);
        }

        if (reassert is { } live)
        {
            await StartAsync(live, "rollback", actor, cancellationToken);
        }

        return true;
    }

    private static async Task<(string State, string Environment, DateTimeOffset? SwitchAt)?> LockAsync(
        NpgsqlConnection connection, long publicationId, CancellationToken cancellationToken)
    {
        await using var command = connection.Command(
            "SELECT state, environment, switch_at FROM publications WHERE id = @id FOR UPDATE", ("id", publicationId));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken)
            ? (reader.GetString(0), reader.GetString(1), reader.GetNullable<DateTimeOffset>(2))
            : null;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Publication {PublicationId}: every agent holds the release; {Environment} armed at generation {Generation} to switch at {SwitchAt:O}")]
    private partial void LogArmed(long publicationId, string environment, long generation, DateTimeOffset switchAt);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Publication {PublicationId}: {Reason}")]
    private partial void LogArmingBlocked(long publicationId, string reason);
}
