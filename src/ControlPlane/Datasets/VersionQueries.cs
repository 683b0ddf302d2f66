using System.Text.Json;
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
public sealed class VersionQueries(NpgsqlDataSource dataSource)
{
    public async Task<VersionPage> ListAsync(DatasetDefinition dataset, int? before, int limit, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            $"""
            SELECT {VersionState.Columns} FROM dataset_versions
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
            $"SELECT {VersionState.Columns} FROM dataset_versions WHERE dataset_id = @dataset AND version = @version");
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
        await using var command = dataSource.CreateCommand(
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
        await using var command = dataSource.CreateCommand(
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
        var reversed = from > to;
        var (low, high) = reversed ? (to, from) : (from, to);
        var partition = ImportService.Partition(dataset);
        var pairs =
            $"""
            WITH touched AS (
                SELECT sku FROM {partition} WHERE dataset_id = @dataset AND from_version > @low AND from_version <= @high
                UNION
                SELECT sku FROM {partition} WHERE dataset_id = @dataset AND to_version > @low AND to_version <= @high
            ), pairs AS (
                SELECT t.sku,
                    (SELECT r.data FROM {partition} r WHERE r.dataset_id = @dataset AND r.sku = t.sku
                        AND r.from_version <= @low AND (r.to_version IS NULL OR r.to_version > @low)) AS low_data,
                    (SELECT r.data FROM {partition} r WHERE r.dataset_id = @dataset AND r.sku = t.sku
                        AND r.from_version <= @high AND (r.to_version IS NULL OR r.to_version > @high)) AS high_data
                FROM touched t
            )
            """;

        // Kinds are from the caller's point of view: "added" means present in `to` but not in `from`.
        var lowOnly = reversed ? "added" : "removed";
        var highOnly = reversed ? "removed" : "added";
        await using var batch = dataSource.CreateBatch();
        var counts = new NpgsqlBatchCommand(
            pairs + $"""
            SELECT count(*) FILTER (WHERE low_data IS NULL AND high_data IS NOT NULL) AS {highOnly},
                   count(*) FILTER (WHERE low_data IS NOT NULL AND high_data IS NULL) AS {lowOnly},
                   count(*) FILTER (WHERE low_data <> high_data) AS changed
            FROM pairs
            """);
        var filter = only switch
        {
            DiffChange.Changed => "AND low_data IS NOT NULL AND high_data IS NOT NULL",
            DiffChange.Added => reversed ? "AND high_data IS NULL" : "AND low_data IS NULL",
            DiffChange.Removed => reversed ? "AND low_data IS NULL" : "AND high_data IS NULL",
            _ => "",
        };
        var items = new NpgsqlBatchCommand(
            pairs + $"""
            SELECT sku, low_data, high_data FROM pairs
            WHERE low_data IS DISTINCT FROM high_data AND sku > @after {filter}
            ORDER BY sku LIMIT @limit
            """);
        foreach (var command in new[] { counts, items })
        {
            command.Parameters.AddWithValue("dataset", dataset.Id);
            command.Parameters.AddWithValue("low", low);
            command.Parameters.AddWithValue("high", high);
            batch.BatchCommands.Add(command);
        }

        items.Parameters.AddWithValue("after", after ?? "");
        items.Parameters.AddWithValue("limit", limit + 1);

        await using var reader = await batch.ExecuteReaderAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        var added = reader.GetInt64(reader.GetOrdinal("added"));
        var removed = reader.GetInt64(reader.GetOrdinal("removed"));
        var changed = reader.GetInt64(reader.GetOrdinal("changed"));
        await reader.NextResultAsync(cancellationToken);
        var list = new List<DiffItem>();
        while (await reader.ReadAsync(cancellationToken))
        {
            var lowData = reader.IsDBNull(1) ? (JsonElement?)null : Parse(reader.GetString(1));
            var highData = reader.IsDBNull(2) ? (JsonElement?)null : Parse(reader.GetString(2));
            var (before, afterData) = reversed ? (highData, lowData) : (lowData, highData);
            var change = before is null ? DiffChange.Added : afterData is null ? DiffChange.Removed : DiffChange.Changed;
            list.Add(new DiffItem(reader.GetString(0), change, before, afterData));
        }

        var hasMore = list.Count > limit;
        if (hasMore)
        {
            list.RemoveAt(list.Count - 1);
        }

        return new DiffPage(dataset.Name, from, to, added, changed, removed, list, hasMore ? list[^1].Sku : null);
    }

    private static JsonElement Parse(string json)
    {
        using var document = JsonDocument.Parse(json);
        return document.RootElement.Clone();
    }
}
