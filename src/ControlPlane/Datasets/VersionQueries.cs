using System.Text.Json;
using ControlPlane.Tiers;
using Npgsql;

namespace ControlPlane.Datasets;

public sealed record VersionPage(IReadOnlyList<VersionInfo> Items, int? NextBefore);

public sealed record RecordItem(string Sku, JsonElement Data);

public sealed record RecordPage(string Dataset, int Version, IReadOnlyList<RecordItem> Items, string? NextAfter);

public enum DiffChange
{
    Added,
    Changed,
    Removed,
}

public sealed record DiffItem(string Sku, DiffChange Change, JsonElement? Before, JsonElement? After);

public sealed record DiffPage(string Dataset, int From, int To, long Added, long Changed, long Removed, IReadOnlyList<DiffItem> Items, string? NextAfter);

/// <summary>
/// Reads versions and their records. A record row is visible at version n when
/// from_version &lt;= n &lt; coalesce(to_version, infinity); every query below applies that rule.
/// </summary>
public sealed partial class VersionQueries(NpgsqlDataSource dataSource, ColdArchive cold)
{
    public async Task<VersionPage> ListAsync(DatasetDefinition dataset, int? before, int limit, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            $"""
            SELECT {VersionState.Columns}, tier FROM dataset_versions
            WHERE dataset_id = @dataset AND (@before::int IS NULL OR version < @before)
            ORDER BY version DESC LIMIT @limit
            """);
        command.Parameters.AddWithValue("dataset", dataset.Id);
        command.Parameters.AddWithValue("before", (object?)before ?? DBNull.Value);
        command.Parameters.AddWithValue("limit", limit + 1);
        var items = new List<VersionInfo>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            items.Add(VersionState.Read(reader, dataset));
        }

        var hasMore = items.Count > limit;
        if (hasMore)
        {
            items.RemoveAt(items.Count - 1);
        }

        return new VersionPage(items, hasMore ? items[^1].Version : null);
    }

    public async Task<VersionInfo?> GetAsync(DatasetDefinition dataset, int version, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            $"SELECT {VersionState.Columns}, tier FROM dataset_versions WHERE dataset_id = @dataset AND version = @version");
        command.Parameters.AddWithValue("dataset", dataset.Id);
        command.Parameters.AddWithValue("version", version);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? VersionState.Read(reader, dataset) : null;
    }

    public async Task<IReadOnlyList<(DatasetDefinition Dataset, VersionInfo? Latest)>> LatestOfEachAsync(CancellationToken cancellationToken)
    {
        var result = new List<(DatasetDefinition, VersionInfo?)>();
        foreach (var dataset in DatasetDefinition.All)
        {
            var page = await ListAsync(dataset, null, 1, cancellationToken);
            result.Add((dataset, page.Items.Count > 0 ? page.Items[0] : null));
        }

        return result;
    }

    public async Task<RecordPage> RecordsAsync(DatasetDefinition dataset, int version, string? after, int limit, CancellationToken cancellationToken)
    {
        await using var snapshot = await Snapshot.OpenAsync(dataSource, cancellationToken);
        if (await snapshot.IsColdAsync(dataset, version, cancellationToken))
        {
            return await ColdRecordsAsync(dataset, version, after, limit, cancellationToken);
        }

        await using var command = snapshot.Command(
            $"""
            SELECT sku, data FROM {ImportService.Partition(dataset)}
            WHERE dataset_id = @dataset AND sku > @after
              AND from_version <= @version AND (to_version IS NULL OR to_version > @version)
            ORDER BY sku LIMIT @limit
            """);
        command.Parameters.AddWithValue("dataset", dataset.Id);
        command.Parameters.AddWithValue("after", after ?? "");
        command.Parameters.AddWithValue("version", version);
        command.Parameters.AddWithValue("limit", limit + 1);
        var items = new List<RecordItem>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            items.Add(new RecordItem(reader.GetString(0), Parse(reader.GetString(1))));
        }

        var hasMore = items.Count > limit;
        if (hasMore)
        {
            items.RemoveAt(items.Count - 1);
        }

        return new RecordPage(dataset.Name, version, items, hasMore ? items[^1].Sku : null);
    }

    public async Task<JsonElement?> RecordAsync(DatasetDefinition dataset, int version, string sku, CancellationToken cancellationToken)
    {
        await using var snapshot = await Snapshot.OpenAsync(dataSource, cancellationToken);
        if (await snapshot.IsColdAsync(dataset, version, cancellationToken))
        {
            var manifest = await cold.ManifestAsync(dataset.Name, version, cancellationToken);
            return await cold.FindAsync(manifest, sku, cancellationToken) is { } found ? Parse(found) : null;
        }

        await using var command = snapshot.Command(
            $"""
            SELECT data FROM {ImportService.Partition(dataset)}
            WHERE dataset_id = @dataset AND sku = @sku
              AND from_version <= @version AND (to_version IS NULL OR to_version > @version)
            """);
        command.Parameters.AddWithValue("dataset", dataset.Id);
        command.Parameters.AddWithValue("sku", sku);
        command.Parameters.AddWithValue("version", version);
        return await command.ExecuteScalarAsync(cancellationToken) is string data ? Parse(data) : null;
    }

    /// <summary>
    /// The difference between two versions. Only SKUs whose rows were opened or closed between them are
    /// looked at, so the cost follows the size of the difference, not of the versions.
    /// </summary>
    public async Task<DiffPage> DiffAsync(
        DatasetDefinition dataset, int from, int to, DiffChange? only, string? after, int limit, CancellationToken cancellationToken)
    {
        await using var snapshot = await Snapshot.OpenAsync(dataSource, cancellationToken);
        if (await snapshot.IsColdAsync(dataset, from, cancellationToken) || await snapshot.IsColdAsync(dataset, to, cancellationToken))
        {
            return await MergedDiffAsync(snapshot, dataset, from, to, only, after, limit, cancellationToken);
        }

        var reversed = from > to;
        var (low, high) = reversed ? (to, from) : (from, to);
        var partition = ImportService.Partition(dataset);

        // Kinds are from the caller's point of view: "added" means present in `to` but not in `from`.
        var filter = only switch
        {
            DiffChange.Changed => "AND low_data IS NOT NULL AND high_data IS NOT NULL",
            DiffChange.Added => reversed ? "AND high_data IS NULL" : "AND low_data IS NULL",
            DiffChange.Removed => reversed ? "AND low_data IS NULL" : "AND high_data IS NULL",
            _ => "",
        };

        // Rows of one SKU never overlap, so the newest row that began at or before a version is the only
        // candidate for it; it is visible when it had not yet ended. One statement gives counts and a page.
        await using var command = snapshot.Command(
            $"""
            WITH touched AS (
                SELECT sku FROM {partition} WHERE dataset_id = @dataset AND from_version > 1 AND from_version > @low AND from_version <= @high
                UNION
                SELECT sku FROM {partition} WHERE dataset_id = @dataset AND to_version > @low AND to_version <= @high
            ), pairs AS MATERIALIZED (
                SELECT t.sku, lo.data AS low_data, hi.data AS high_data
                FROM touched t
                LEFT JOIN LATERAL (
                    SELECT r.data, r.to_version FROM {partition} r
                    WHERE r.dataset_id = @dataset AND r.sku = t.sku AND r.from_version <= @low
                    ORDER BY r.from_version DESC LIMIT 1) lo ON lo.to_version IS NULL OR lo.to_version > @low
                LEFT JOIN LATERAL (
                    SELECT r.data, r.to_version FROM {partition} r
                    WHERE r.dataset_id = @dataset AND r.sku = t.sku AND r.from_version <= @high
                    ORDER BY r.from_version DESC LIMIT 1) hi ON hi.to_version IS NULL OR hi.to_version > @high
            ), counts AS (
                SELECT count(*) FILTER (WHERE low_data IS NULL AND high_data IS NOT NULL) AS high_only,
                       count(*) FILTER (WHERE low_data IS NOT NULL AND high_data IS NULL) AS low_only,
                       count(*) FILTER (WHERE low_data <> high_data) AS changed
                FROM pairs
            )
            SELECT c.high_only, c.low_only, c.changed, page.sku, page.low_data, page.high_data
            FROM counts c
            LEFT JOIN LATERAL (
                SELECT sku, low_data, high_data FROM pairs
                WHERE low_data IS DISTINCT FROM high_data AND sku > @after {filter}
                ORDER BY sku LIMIT @limit) page ON true
            ORDER BY page.sku
            """);
        command.Parameters.AddWithValue("dataset", dataset.Id);
        command.Parameters.AddWithValue("low", low);
        command.Parameters.AddWithValue("high", high);
        command.Parameters.AddWithValue("after", after ?? "");
        command.Parameters.AddWithValue("limit", limit + 1);

        long highOnly = 0, lowOnly = 0, changed = 0;
        var list = new List<DiffItem>();
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                (highOnly, lowOnly, changed) = (reader.GetInt64(0), reader.GetInt64(1), reader.GetInt64(2));
                if (reader.IsDBNull(3))
                {
                    continue;
                }

                var lowData = reader.IsDBNull(4) ? (JsonElement?)null : Parse(reader.GetString(4));
                var highData = reader.IsDBNull(5) ? (JsonElement?)null : Parse(reader.GetString(5));
                var (before, afterData) = reversed ? (highData, lowData) : (lowData, highData);
                var change = before is null ? DiffChange.Added : afterData is null ? DiffChange.Removed : DiffChange.Changed;
                list.Add(new DiffItem(reader.GetString(3), change, before, afterData));
            }
        }

        var hasMore = list.Count > limit;
        if (hasMore)
        {
            list.RemoveAt(list.Count - 1);
        }

        var (added, removed) = reversed ? (lowOnly, highOnly) : (highOnly, lowOnly);
        return new DiffPage(dataset.Name, from, to, added, changed, removed, list, hasMore ? list[^1].Sku : null);
    }

    /// <summary>
    /// What an agent must write to turn version <paramref name="since"/> into <paramref name="version"/>: every record
    /// of <paramref name="version"/> when <paramref name="since"/> is null, else the records that differ, with null data
    /// for a deletion. Sorted by SKU and paged after <paramref name="after"/>; either direction of history works.
    /// </summary>
    public async Task<IReadOnlyList<(string Sku, string? Data)>> ChangesAsync(
        DatasetDefinition dataset, int version, int? since, string? after, int limit, CancellationToken cancellationToken)
    {
        var partition = ImportService.Partition(dataset);
        var rows = new List<(string, string?)>(Math.Min(limit, 100_000));
        if (since == version)
        {
            return rows;
        }

        await using var snapshot = await Snapshot.OpenAsync(dataSource, cancellationToken);
        if (await snapshot.IsColdAsync(dataset, version, cancellationToken) || since is { } s && await snapshot.IsColdAsync(dataset, s, cancellationToken))
        {
            return await MergedChangesAsync(snapshot, dataset, version, since, after, limit, cancellationToken);
        }

        string sql;
        if (since is null)
        {
            sql = $"""
                SELECT sku, data FROM {partition}
                WHERE dataset_id = @dataset AND sku > @after
                  AND from_version <= @version AND (to_version IS NULL OR to_version > @version)
                ORDER BY sku LIMIT @limit
                """;
        }
        else
        {
            var (low, high) = since < version ? (since.Value, version) : (version, since.Value);
            var target = since < version ? "hi" : "lo";
            sql = $"""
                WITH touched AS (
                    SELECT sku FROM {partition} WHERE dataset_id = @dataset AND from_version > 1 AND from_version > {low} AND from_version <= {high} AND sku > @after
                    UNION
                    SELECT sku FROM {partition} WHERE dataset_id = @dataset AND to_version > {low} AND to_version <= {high} AND sku > @after
                )
                SELECT t.sku, {target}.data FROM touched t
                LEFT JOIN LATERAL (
                    SELECT r.data, r.to_version FROM {partition} r
                    WHERE r.dataset_id = @dataset AND r.sku = t.sku AND r.from_version <= {low}
                    ORDER BY r.from_version DESC LIMIT 1) lo ON lo.to_version IS NULL OR lo.to_version > {low}
                LEFT JOIN LATERAL (
                    SELECT r.data, r.to_version FROM {partition} r
                    WHERE r.dataset_id = @dataset AND r.sku = t.sku AND r.from_version <= {high}
                    ORDER BY r.from_version DESC LIMIT 1) hi ON hi.to_version IS NULL OR hi.to_version > {high}
                WHERE lo.data IS DISTINCT FROM hi.data
                ORDER BY t.sku LIMIT @limit
                """;
        }

        await using var command = snapshot.Command(sql);
        command.Parameters.AddWithValue("dataset", dataset.Id);
        command.Parameters.AddWithValue("version", version);
        command.Parameters.AddWithValue("after", after ?? "");
        command.Parameters.AddWithValue("limit", limit);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            rows.Add((reader.GetString(0), reader.IsDBNull(1) ? null : reader.GetString(1)));
        }

        return rows;
    }

    private static JsonElement Parse(string json)
    {
        using var document = JsonDocument.Parse(json);
        return document.RootElement.Clone();
    }
}
