using System.Data;
using System.Runtime.CompilerServices;
using ControlPlane.Tiers;
using Npgsql;

namespace ControlPlane.Datasets;

// Reads of cold versions (docs/decisions.md, "Tiers"): their records come from the archive's chunks, verified chunk by
// chunk; comparisons with another version merge the two SKU-ordered streams. Warm reads run in one repeatable-read
// snapshot that also decides the tier, so a version archived meanwhile is read whole from one place or the other.
public sealed partial class VersionQueries
{
    private const int WarmPage = 10_000;

    private async Task<RecordPage> ColdRecordsAsync(DatasetDefinition dataset, int version, string? after, int limit, CancellationToken cancellationToken)
    {
        var manifest = await cold.ManifestAsync(dataset.Name, version, cancellationToken);
        var items = new List<RecordItem>(limit + 1);
        await foreach (var (sku, data) in cold.ReadAsync(manifest, after, cancellationToken))
        {
            items.Add(new RecordItem(sku, Parse(data)));
            if (items.Count > limit)
            {
                break;
            }
        }

        var hasMore = items.Count > limit;
        if (hasMore)
        {
            items.RemoveAt(items.Count - 1);
        }

        return new RecordPage(dataset.Name, version, items, hasMore ? items[^1].Sku : null);
    }

    private async Task<IReadOnlyList<(string Sku, string? Data)>> MergedChangesAsync(
        Snapshot snapshot, DatasetDefinition dataset, int version, int? since, string? after, int limit, CancellationToken cancellationToken)
    {
        var rows = new List<(string, string?)>(Math.Min(limit, 100_000));
        var target = await SourceAsync(snapshot, dataset, version, after, cancellationToken);
        if (since is null)
        {
            await foreach (var (sku, data) in target.WithCancellation(cancellationToken))
            {
                rows.Add((sku, data));
                if (rows.Count == limit)
                {
                    break;
                }
            }

            return rows;
        }

        var source = await SourceAsync(snapshot, dataset, since.Value, after, cancellationToken);
        await foreach (var (sku, before, now) in Merge(source, target, cancellationToken))
        {
            if (before != now)
            {
                rows.Add((sku, now));
                if (rows.Count == limit)
                {
                    break;
                }
            }
        }

        return rows;
    }

    /// <summary>A diff touching a cold version: one pass over both versions for the counts, collecting the page on the way.</summary>
    private async Task<DiffPage> MergedDiffAsync(
        Snapshot snapshot, DatasetDefinition dataset, int from, int to, DiffChange? only, string? after, int limit, CancellationToken cancellationToken)
    {
        long added = 0, changed = 0, removed = 0;
        var items = new List<DiffItem>();
        var order = SkuOrder.Instance;
        var fromRecords = await SourceAsync(snapshot, dataset, from, null, cancellationToken);
        var toRecords = await SourceAsync(snapshot, dataset, to, null, cancellationToken);
        await foreach (var (sku, before, now) in Merge(fromRecords, toRecords, cancellationToken))
        {
            if (before == now)
            {
                continue;
            }

            var change = before is null ? DiffChange.Added : now is null ? DiffChange.Removed : DiffChange.Changed;
            _ = change switch
            {
                DiffChange.Added => added++,
                DiffChange.Removed => removed++,
                _ => changed++,
            };
            if (items.Count <= limit && (only is null || only == change) && (after is null || order.Compare(sku, after) > 0))
            {
                items.Add(new DiffItem(sku, change, before is null ? null : Parse(before), now is null ? null : Parse(now)));
            }
        }

        var hasMore = items.Count > limit;
        if (hasMore)
        {
            items.RemoveAt(items.Count - 1);
        }

        return new DiffPage(dataset.Name, from, to, added, changed, removed, items, hasMore ? items[^1].Sku : null);
    }

    private async Task<IAsyncEnumerable<(string Sku, string Data)>> SourceAsync(
        Snapshot snapshot, DatasetDefinition dataset, int version, string? after, CancellationToken cancellationToken)
    {
        if (await snapshot.IsColdAsync(dataset, version, cancellationToken))
        {
            var manifest = await cold.ManifestAsync(dataset.Name, version, cancellationToken);
            return cold.ReadAsync(manifest, after, cancellationToken);
        }

        return WarmAsync(snapshot, dataset, version, after, cancellationToken);
    }

    private static async IAsyncEnumerable<(string Sku, string Data)> WarmAsync(
        Snapshot snapshot, DatasetDefinition dataset, int version, string? after, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var cursor = after ?? "";
        while (true)
        {
            var page = new List<(string, string)>(WarmPage);
            await using (var command = snapshot.Command(
                $"""
                SELECT sku, data FROM {ImportService.Partition(dataset)}
                WHERE dataset_id = @dataset AND sku > @after
                  AND from_version <= @version AND (to_version IS NULL OR to_version > @version)
                ORDER BY sku LIMIT {WarmPage}
                """))
            {
                command.Parameters.AddWithValue("dataset", dataset.Id);
                command.Parameters.AddWithValue("after", cursor);
                command.Parameters.AddWithValue("version", version);
                await using var reader = await command.ExecuteReaderAsync(cancellationToken);
                while (await reader.ReadAsync(cancellationToken))
                {
                    page.Add((reader.GetString(0), reader.GetString(1)));
                }
            }

            foreach (var row in page)
            {
                yield return row;
            }

            if (page.Count < WarmPage)
            {
                yield break;
            }

            cursor = page[^1].Item1;
        }
    }

    /// <summary>Both versions' records side by side in SKU order; null where a version lacks the SKU.</summary>
    private static async IAsyncEnumerable<(string Sku, string? Before, string? After)> Merge(
        IAsyncEnumerable<(string Sku, string Data)> before, IAsyncEnumerable<(string Sku, string Data)> after,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var order = SkuOrder.Instance;
        await using var left = before.GetAsyncEnumerator(cancellationToken);
        await using var right = after.GetAsyncEnumerator(cancellationToken);
        var hasLeft = await left.MoveNextAsync();
        var hasRight = await right.MoveNextAsync();
        while (hasLeft || hasRight)
        {
            var comparison = !hasLeft ? 1 : !hasRight ? -1 : order.Compare(left.Current.Sku, right.Current.Sku);
            if (comparison < 0)
            {
                yield return (left.Current.Sku, left.Current.Data, null);
                hasLeft = await left.MoveNextAsync();
            }
            else if (comparison > 0)
            {
                yield return (right.Current.Sku, null, right.Current.Data);
                hasRight = await right.MoveNextAsync();
            }
            else
            {
                yield return (left.Current.Sku, left.Current.Data, right.Current.Data);
                hasLeft = await left.MoveNextAsync();
                hasRight = await right.MoveNextAsync();
            }
        }
    }

    /// <summary>A read-only repeatable-read transaction: the tier of a version and its rows are read from one snapshot.</summary>
    private sealed class Snapshot : IAsyncDisposable
    {
        private readonly Dictionary<(short, int), bool> _cold = [];

        private Snapshot(NpgsqlConnection connection, NpgsqlTransaction transaction)
        {
            Connection = connection;
            Transaction = transaction;
        }

        public NpgsqlConnection Connection { get; }

        public NpgsqlTransaction Transaction { get; }

        public static async Task<Snapshot> OpenAsync(NpgsqlDataSource dataSource, CancellationToken cancellationToken)
        {
            var connection = await dataSource.OpenConnectionAsync(cancellationToken);
            try
            {
                var transaction = await connection.BeginTransactionAsync(IsolationLevel.RepeatableRead, cancellationToken);
                return new Snapshot(connection, transaction);
            }
            catch
            {
                await connection.DisposeAsync();
                throw;
            }
        }

        public NpgsqlCommand Command(string sql) => new(sql, Connection, Transaction);

        /// <summary>Whether the version's records must come from its archive (cold, or expired, which then fails to read).</summary>
        public async Task<bool> IsColdAsync(DatasetDefinition dataset, int version, CancellationToken cancellationToken)
        {
            if (_cold.TryGetValue((dataset.Id, version), out var known))
            {
                return known;
            }

            await using var command = Command("SELECT tier FROM dataset_versions WHERE dataset_id = @dataset AND version = @version");
            command.Parameters.AddWithValue("dataset", dataset.Id);
            command.Parameters.AddWithValue("version", version);
            var isCold = await command.ExecuteScalarAsync(cancellationToken) is string tier && tier != "warm";
            _cold[(dataset.Id, version)] = isCold;
            return isCold;
        }

        public async ValueTask DisposeAsync()
        {
            await Transaction.DisposeAsync();
            await Connection.DisposeAsync();
        }
    }
}
