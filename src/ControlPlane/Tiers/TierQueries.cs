using ControlPlane.Datasets;
using ControlPlane.Infrastructure;
using Npgsql;

namespace ControlPlane.Tiers;

public sealed record TierOverview(string ColdStore, IReadOnlyList<DatasetTierSummary> Datasets, ArchiveJobView ArchiveJob);

public sealed record DatasetTierSummary(
    string Dataset, int WarmVersions, int ColdVersions, int LeavingWarm, long WarmRows, long WarmBytes, long ColdRawBytes, long ColdStoredBytes);

public sealed record ArchiveJobView(
    int Queued, int Running, int Retrying, int Done, int Skipped, IReadOnlyList<ArchiveTaskView> InProgress,
    IReadOnlyList<ArchiveTaskView> Failures, IReadOnlyList<ArchiveTaskView> Recent);

public sealed record ArchiveTaskView(
    string Dataset, int Version, string State, string? Step, int Attempts, DateTimeOffset QueuedAt, DateTimeOffset? StartedAt,
    DateTimeOffset? FinishedAt, DateTimeOffset NextAttemptAt, int ChunksWritten, long RecordsWritten, long BytesWritten, string? LastError);

public sealed record DatasetTierView(string Dataset, IReadOnlyList<VersionTierView> Versions, int? NextBefore, IReadOnlyList<ArchiveTaskView> Tasks);

/// <summary>
/// Where a version lives and its size there. Warm bytes are an estimate (the partition's size shared out by row), since
/// copy-on-write rows are shared between versions; cold bytes are the archive's exact sizes. <c>WarmRowsRemoved</c> counts
/// the rows its archiving deleted from PostgreSQL: only rows no warm version shares.
/// </summary>
public sealed record VersionTierView(
    int Version, string Tier, long Records, DateTimeOffset CreatedAt, bool InWarmWindow, bool LeavesWarm, IReadOnlyList<string> ProtectedBecause,
    long? WarmBytesEstimate, long? ColdRawBytes, long? ColdStoredBytes, int? ColdChunks, DateTimeOffset? ArchivedAt, long? WarmRowsRemoved);

public sealed class TierQueries(NpgsqlDataSource dataSource, TierPlanner planner, IColdStore store)
{
    private const string TaskColumns =
        "dataset_id, version, state, step, attempts, queued_at, started_at, finished_at, next_attempt_at, chunks_written, records_written, bytes_written, last_error";

    public async Task<TierOverview> OverviewAsync(CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var plan = await planner.PlanAsync(connection, null, cancellationToken);
        var summaries = new List<DatasetTierSummary>();
        foreach (var dataset in DatasetDefinition.All)
        {
            var datasetPlan = plan.Datasets[dataset.Name];
            var (rows, bytes) = await PartitionSizeAsync(connection, dataset, cancellationToken);
            long raw = 0, stored = 0;
            await using (var command = connection.Command(
                "SELECT coalesce(sum(raw_bytes), 0)::bigint, coalesce(sum(stored_bytes), 0)::bigint FROM version_archives WHERE dataset_id = @dataset",
                ("dataset", dataset.Id)))
            await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
            {
                await reader.ReadAsync(cancellationToken);
                (raw, stored) = (reader.GetInt64(0), reader.GetInt64(1));
            }

            summaries.Add(new DatasetTierSummary(dataset.Name, datasetPlan.Versions.Count(v => v.Tier == "warm"),
                datasetPlan.Versions.Count(v => v.Tier == "cold"), datasetPlan.ToArchive.Count(), rows, bytes, raw, stored));
        }

        return new TierOverview(store.Name, summaries, await JobAsync(connection, cancellationToken));
    }

    public async Task<DatasetTierView> DatasetAsync(DatasetDefinition dataset, int? before, int limit, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var plan = (await planner.PlanAsync(connection, null, cancellationToken)).Datasets[dataset.Name];
        var toArchive = plan.ToArchive.ToHashSet();
        var (rows, bytes) = await PartitionSizeAsync(connection, dataset, cancellationToken);
        var perRow = rows > 0 ? (double)bytes / rows : 0;
        var archives = new Dictionary<int, (long Raw, long Stored, int Chunks, DateTimeOffset At, long Removed)>();
        await using (var command = connection.Command(
            "SELECT version, raw_bytes, stored_bytes, chunks, archived_at, rows_removed FROM version_archives WHERE dataset_id = @dataset", ("dataset", dataset.Id)))
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                archives[reader.GetInt32(0)] = (reader.GetInt64(1), reader.GetInt64(2), reader.GetInt32(3), reader.GetFieldValue<DateTimeOffset>(4), reader.GetInt64(5));
            }
        }

        var page = plan.Versions.Where(v => before is null || v.Version < before).OrderByDescending(v => v.Version).Take(limit + 1).ToList();
        var hasMore = page.Count > limit;
        if (hasMore)
        {
            page.RemoveAt(page.Count - 1);
        }

        var views = page.Select(v =>
        {
            var archived = archives.TryGetValue(v.Version, out var a) ? a : ((long, long, int, DateTimeOffset, long)?)null;
            return new VersionTierView(v.Version, v.Tier, v.Records, v.CreatedAt, plan.WarmWindow.Contains(v.Version), toArchive.Contains(v.Version),
                plan.Protected.TryGetValue(v.Version, out var reasons) ? reasons : [],
                v.Tier == "warm" ? (long)(v.Records * perRow) : null, archived?.Item1, archived?.Item2, archived?.Item3, archived?.Item4, archived?.Item5);
        }).ToList();

        var tasks = await TasksAsync(connection, "WHERE dataset_id = @dataset ORDER BY coalesce(finished_at, started_at, queued_at) DESC LIMIT 50",
            cancellationToken, ("dataset", dataset.Id));
        return new DatasetTierView(dataset.Name, views, hasMore ? views[^1].Version : null, tasks);
    }

    private static async Task<ArchiveJobView> JobAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        var counts = new Dictionary<string, int>(StringComparer.Ordinal);
        await using (var command = connection.Command("SELECT state, count(*)::int FROM archive_tasks GROUP BY state"))
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                counts[reader.GetString(0)] = reader.GetInt32(1);
            }
        }

        return new ArchiveJobView(
            counts.GetValueOrDefault("queued"), counts.GetValueOrDefault("running"), counts.GetValueOrDefault("retrying"),
            counts.GetValueOrDefault("done"), counts.GetValueOrDefault("skipped"),
            await TasksAsync(connection, "WHERE state IN ('queued', 'running', 'retrying') ORDER BY next_attempt_at LIMIT 50", cancellationToken),
            await TasksAsync(connection, "WHERE last_error IS NOT NULL ORDER BY next_attempt_at DESC LIMIT 20", cancellationToken),
            await TasksAsync(connection, "WHERE state IN ('done', 'skipped') ORDER BY finished_at DESC NULLS LAST LIMIT 20", cancellationToken));
    }

    private static async Task<List<ArchiveTaskView>> TasksAsync(NpgsqlConnection connection, string where, CancellationToken cancellationToken, params (string, object?)[] parameters)
    {
        var tasks = new List<ArchiveTaskView>();
        await using var command = connection.Command($"SELECT {TaskColumns} FROM archive_tasks {where}", parameters);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            tasks.Add(new ArchiveTaskView(
                DatasetDefinition.ById(reader.GetInt16(0)).Name, reader.GetInt32(1), reader.GetString(2), reader.GetNullableString(3), reader.GetInt32(4),
                reader.GetFieldValue<DateTimeOffset>(5), reader.GetNullable<DateTimeOffset>(6), reader.GetNullable<DateTimeOffset>(7),
                reader.GetFieldValue<DateTimeOffset>(8), reader.GetInt32(9), reader.GetInt64(10), reader.GetInt64(11), reader.GetNullableString(12)));
        }

        return tasks;
    }

    private static async Task<(long Rows, long Bytes)> PartitionSizeAsync(NpgsqlConnection connection, DatasetDefinition dataset, CancellationToken cancellationToken)
    {
        await using var command = connection.Command(
            $"SELECT greatest(reltuples, 0)::bigint, pg_total_relation_size(oid) FROM pg_class WHERE oid = '{ImportService.Partition(dataset)}'::regclass");
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? (reader.GetInt64(0), reader.GetInt64(1)) : (0, 0);
    }
}
