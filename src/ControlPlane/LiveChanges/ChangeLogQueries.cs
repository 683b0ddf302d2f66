using ControlPlane.Datasets;
using ControlPlane.Infrastructure;
using Npgsql;

namespace ControlPlane.LiveChanges;

/// <summary>Reads of the change log for the API and agents, and the agents' applied positions.</summary>
public sealed class ChangeLogQueries(NpgsqlDataSource dataSource, TimeProvider time)
{
    public async Task<ChangeLogPage> ListAsync(DatasetDefinition dataset, long after, string? sku, int limit, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var command = connection.Command(
            """
            SELECT seq, sku, op, delta, data, batch_id, accepted_at, folded_into FROM changes
            WHERE dataset_id = @dataset AND seq > @after AND (@sku::text IS NULL OR sku = @sku) ORDER BY seq LIMIT @limit
            """, ("dataset", dataset.Id), ("after", after), ("sku", sku), ("limit", limit));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var items = new List<ChangeEntry>();
        while (await reader.ReadAsync(cancellationToken))
        {
            items.Add(new ChangeEntry(reader.GetInt64(0), reader.GetString(1), reader.GetString(2), reader.GetNullable<long>(3),
                reader.GetNullableString(4), reader.GetInt64(5), reader.GetFieldValue<DateTimeOffset>(6), reader.GetNullable<int>(7)));
        }

        return new ChangeLogPage(dataset.Name, items, items.Count == limit ? items[^1].Seq : null);
    }

    public async Task<ChangeStreamView> StreamAsync(DatasetDefinition dataset, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var command = connection.Command(
            """
            SELECT s.last_seq, s.allow_oversell, v.version, coalesce(v.change_watermark, 0),
                   (SELECT count(*) FROM changes c WHERE c.dataset_id = s.dataset_id AND c.folded_into IS NULL),
                   (SELECT min(accepted_at) FROM changes c WHERE c.dataset_id = s.dataset_id AND c.folded_into IS NULL)
            FROM change_streams s
            LEFT JOIN LATERAL (SELECT version, change_watermark FROM dataset_versions WHERE dataset_id = s.dataset_id ORDER BY version DESC LIMIT 1) v ON true
            WHERE s.dataset_id = @dataset
            """, ("dataset", dataset.Id));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        return new ChangeStreamView(dataset.Name, reader.GetInt64(0), reader.GetBoolean(1), reader.GetNullable<int>(2), reader.GetInt64(3),
            reader.GetInt64(4), reader.GetNullable<DateTimeOffset>(5));
    }

    public async Task SetPolicyAsync(DatasetDefinition dataset, ChangePolicy policy, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await connection.ExecuteAsync("UPDATE change_streams SET allow_oversell = @allow WHERE dataset_id = @dataset", cancellationToken,
            ("allow", policy.AllowOversell), ("dataset", dataset.Id));
    }

    /// <summary>The changes of a dataset after <paramref name="after"/>, in sequence order, and the dataset's last sequence number.</summary>
    public async Task<(long LastSeq, List<LiveChange> Changes)> PageAsync(DatasetDefinition dataset, long after, int limit, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var lastSeq = await ChangeLog.LastSeqAsync(connection, dataset, cancellationToken);
        var changes = new List<LiveChange>();
        if (lastSeq <= after)
        {
            return (lastSeq, changes);
        }

        await using var command = connection.Command(
            "SELECT seq, sku, data FROM changes WHERE dataset_id = @dataset AND seq > @after ORDER BY seq LIMIT @limit",
            ("dataset", dataset.Id), ("after", after), ("limit", limit));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            changes.Add(new LiveChange(reader.GetInt64(0), reader.GetString(1), reader.GetNullableString(2)));
        }

        return (lastSeq, changes);
    }

    // Positions arrive with every pull, many a second under load; the views need them to the second, not to the pull.
    private static readonly TimeSpan PositionInterval = TimeSpan.FromSeconds(1);
    private readonly System.Collections.Concurrent.ConcurrentDictionary<(string Agent, short Dataset), (long Applied, DateTimeOffset At)> _recorded = new();

    /// <summary>
    /// Records what an agent has applied of a dataset's log (the position it pulls after): at most once a second per agent and
    /// dataset while it is catching up, and always (<paramref name="caughtUp"/>) when it has everything, so an idle view is exact.
    /// </summary>
    public async Task RecordPositionAsync(string agentId, DatasetDefinition dataset, long applied, bool caughtUp, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var key = (agentId, dataset.Id);
        if (_recorded.TryGetValue(key, out var last) && (last.Applied == applied || (!caughtUp && now - last.At < PositionInterval)))
        {
            return;
        }

        _recorded[key] = (applied, now);
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await connection.ExecuteAsync(
            """
            INSERT INTO agent_change_positions (agent_id, dataset_id, applied_seq, reported_at) VALUES (@agent, @dataset, @applied, @now)
            ON CONFLICT (agent_id, dataset_id) DO UPDATE SET applied_seq = excluded.applied_seq, reported_at = excluded.reported_at
            """, cancellationToken, ("agent", agentId), ("dataset", dataset.Id), ("applied", applied), ("now", time.GetUtcNow()));
    }

    /// <summary>
    /// Per agent, for every dataset with live changes: the last applied sequence number and the lag, as a count of changes
    /// and as the age of the oldest change the agent has not applied (0 when it is up to date).
    /// </summary>
    public static async Task<Dictionary<string, List<AgentChangeLag>>> LagsAsync(
        NpgsqlConnection connection, IReadOnlyCollection<string> agentIds, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var lags = new Dictionary<string, List<AgentChangeLag>>(StringComparer.Ordinal);
        if (agentIds.Count == 0)
        {
            return lags;
        }

        await using var command = connection.Command(
            """
            SELECT a.id, d.name, coalesce(p.applied_seq, 0), s.last_seq, p.reported_at,
                   (SELECT accepted_at FROM changes c WHERE c.dataset_id = s.dataset_id AND c.seq > coalesce(p.applied_seq, 0) ORDER BY c.seq LIMIT 1)
            FROM unnest(@ids) AS a(id)
            CROSS JOIN change_streams s
            JOIN datasets d ON d.id = s.dataset_id
            LEFT JOIN agent_change_positions p ON p.agent_id = a.id AND p.dataset_id = s.dataset_id
            WHERE s.last_seq > 0
            ORDER BY a.id, d.name
            """, ("ids", agentIds.ToArray()));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            var applied = reader.GetInt64(2);
            var last = reader.GetInt64(3);
            var oldest = reader.GetNullable<DateTimeOffset>(5);
            var seconds = applied < last && oldest is { } at ? Math.Max(0, (now - at).TotalSeconds) : 0;
            var id = reader.GetString(0);
            if (!lags.TryGetValue(id, out var list))
            {
                lags[id] = list = [];
            }

            list.Add(new AgentChangeLag(reader.GetString(1), applied, last, Math.Max(0, last - applied), seconds, reader.GetNullable<DateTimeOffset>(4)));
        }

        return lags;
    }
}
