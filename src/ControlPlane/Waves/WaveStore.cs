using ControlPlane.Infrastructure;
using ControlPlane.Releases;
using Npgsql;

namespace ControlPlane.Waves;

/// <summary>The waves of publications in PostgreSQL: the plan made at start, the views, and what each agent is told.</summary>
public static class WaveStore
{
    /// <summary>
    /// Splits the publication's participants into waves (inside the publication's transaction). When every wave would
    /// be empty the publication stays an all-at-once one.
    /// </summary>
    public static async Task PlanAsync(NpgsqlConnection connection, long publicationId, WaveRequest request, DateTimeOffset now, string actor,
        CancellationToken cancellationToken)
    {
        var participants = new List<(string, string)>();
        await using (var command = connection.Command(
            """
            SELECT pa.agent_id, a.agent_group FROM publication_agents pa JOIN agents a ON a.id = pa.agent_id
            WHERE pa.publication_id = @id
            """, ("id", publicationId)))
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                participants.Add((reader.GetString(0), reader.GetString(1)));
            }
        }

        var waves = WavePlanner.Assign(participants, request);
        if (waves.Count == 0)
        {
            return;
        }

        await connection.ExecuteAsync(
            "UPDATE publications SET wave_count = @count, current_wave = 0, canary_percent = @canary, hold_seconds = @hold WHERE id = @id",
            cancellationToken, ("count", waves.Count), ("canary", request.CanaryPercent), ("hold", request.HoldSeconds), ("id", publicationId));
        for (var i = 0; i < waves.Count; i++)
        {
            var (groups, agents) = waves[i];
            await connection.ExecuteAsync(
                """
                INSERT INTO publication_waves (publication_id, wave, groups, state, started_at, started_by)
                VALUES (@id, @wave, @groups, @state, @started, @by)
                """, cancellationToken, ("id", publicationId), ("wave", i), ("groups", groups?.ToArray()),
                ("state", i == 0 ? WaveStates.Staging : WaveStates.Pending), ("started", i == 0 ? now : null), ("by", i == 0 ? actor : null));
            await connection.ExecuteAsync(
                "UPDATE publication_agents SET wave = @wave WHERE publication_id = @id AND agent_id = ANY (@agents)",
                cancellationToken, ("wave", i), ("id", publicationId), ("agents", agents.ToArray()));
        }
    }

    public static async Task<IReadOnlyList<WaveInfo>> WavesAsync(NpgsqlConnection connection, long publicationId, CancellationToken cancellationToken)
    {
        var waves = new List<WaveInfo>();
        await using var command = connection.Command(
            """
            SELECT w.wave, w.groups, w.state, w.generation, w.started_at, w.started_by, w.staged_at, w.live_at, w.ended_at,
                   coalesce(array_agg(pa.agent_id ORDER BY pa.agent_id) FILTER (WHERE pa.agent_id IS NOT NULL), '{}')
            FROM publication_waves w
            LEFT JOIN publication_agents pa ON pa.publication_id = w.publication_id AND pa.wave = w.wave
            WHERE w.publication_id = @id
            GROUP BY w.publication_id, w.wave ORDER BY w.wave
            """, ("id", publicationId));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            waves.Add(new WaveInfo(
                reader.GetInt32(0), reader.IsDBNull(1) ? null : reader.GetFieldValue<string[]>(1), reader.GetFieldValue<string[]>(9),
                reader.GetString(2), reader.GetNullable<long>(3), reader.GetNullable<DateTimeOffset>(4), reader.GetNullableString(5),
                reader.GetNullable<DateTimeOffset>(6), reader.GetNullable<DateTimeOffset>(7), reader.GetNullable<DateTimeOffset>(8)));
        }

        return waves;
    }

    /// <summary>
    /// What the latest publication in waves of the environment tells one agent: a release to hold (while its wave has
    /// started and the publication is in flight) and a switch order (its wave passed the barrier: the new release; the
    /// publication was aborted after that: the release live before, at the abort's generation). The desired state takes
    /// the order with the highest generation among this and the environment's, so later decisions always win.
    /// </summary>
    public static async Task<(long? Hold, SwitchOrder? Order)> ForAgentAsync(
        NpgsqlConnection connection, string environment, string agentId, CancellationToken cancellationToken)
    {
        await using var command = connection.Command(
            """
            SELECT p.release_id, p.state, p.previous_release_id, p.abort_generation, p.current_wave, pa.wave, w.generation
            FROM publications p
            JOIN publication_agents pa ON pa.publication_id = p.id AND pa.agent_id = @agent
            JOIN publication_waves w ON w.publication_id = p.id AND w.wave = pa.wave
            WHERE p.id = (SELECT max(id) FROM publications WHERE environment = @env AND wave_count IS NOT NULL)
            """, ("agent", agentId), ("env", environment));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        if (!await reader.ReadAsync(cancellationToken))
        {
            return (null, null);
        }

        var (release, state, previous, abortGeneration) = (reader.GetInt64(0), reader.GetString(1), reader.GetNullable<long>(2), reader.GetNullable<long>(3));
        var (currentWave, wave, waveGeneration) = (reader.GetNullable<int>(4) ?? 0, reader.GetInt32(5), reader.GetNullable<long>(6));
        long? hold = state is PublicationStates.Staging or PublicationStates.Staged or PublicationStates.Switching or PublicationStates.Holding
            && wave <= currentWave ? release : null;
        SwitchOrder? order = waveGeneration is null ? null
            : abortGeneration is { } aborted && previous is { } back ? new SwitchOrder(back, aborted)
            : state is PublicationStates.Failed or PublicationStates.Aborted or PublicationStates.Aborting ? null
            : new SwitchOrder(release, waveGeneration.Value);
        return (hold, order);
    }
}
