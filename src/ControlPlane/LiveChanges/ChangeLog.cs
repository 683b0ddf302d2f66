using ControlPlane.Datasets;
using ControlPlane.Infrastructure;
using Npgsql;

namespace ControlPlane.LiveChanges;

/// <summary>
/// The SQL of a dataset's change log shared by change batches and imports. Batches and version creation of one dataset
/// are serialized by one advisory lock, so a version's watermark (the last sequence it includes) is exact: every change
/// up to it is committed and none after it is (docs/decisions.md, "Live changes").
/// </summary>
internal static class ChangeLog
{
    // Advisory lock class of a dataset's change log; the dataset id is the second key. Imports take it after their own
    // lock (0x4350) and batches take only this one, so the order is always the same.
    private const int ChangeLogLockClass = 0x4351;

    /// <summary>Takes the dataset's change log lock for the transaction and returns its last sequence number.</summary>
    public static async Task<long> LockAsync(NpgsqlConnection connection, DatasetDefinition dataset, CancellationToken cancellationToken)
    {
        await connection.ExecuteAsync($"SELECT pg_advisory_xact_lock({ChangeLogLockClass}, {dataset.Id})", cancellationToken);
        return await LastSeqAsync(connection, dataset, cancellationToken);
    }

    public static async Task<long> LastSeqAsync(NpgsqlConnection connection, DatasetDefinition dataset, CancellationToken cancellationToken) =>
        await connection.ScalarAsync<long>("SELECT last_seq FROM change_streams WHERE dataset_id = @dataset", cancellationToken, ("dataset", dataset.Id));

    /// <summary>The newest change of each SKU with a sequence number above <paramref name="after"/>: its record, or null when deleted.</summary>
    public static async Task<Dictionary<string, string?>> PendingAsync(
        NpgsqlConnection connection, DatasetDefinition dataset, long after, CancellationToken cancellationToken)
    {
        var pending = new Dictionary<string, string?>(StringComparer.Ordinal);
        await using var command = connection.Command(
            "SELECT DISTINCT ON (sku) sku, data FROM changes WHERE dataset_id = @dataset AND seq > @after ORDER BY sku, seq DESC",
            ("dataset", dataset.Id), ("after", after));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            pending[reader.GetString(0)] = reader.GetNullableString(1);
        }

        return pending;
    }

    /// <summary>Records that <paramref name="version"/> absorbed (or, for a full import, superseded) every change up to its watermark.</summary>
    public static Task<int> MarkFoldedAsync(
        NpgsqlConnection connection, DatasetDefinition dataset, int version, long watermark, CancellationToken cancellationToken) =>
        connection.ExecuteAsync(
            "UPDATE changes SET folded_into = @version WHERE dataset_id = @dataset AND folded_into IS NULL AND seq <= @watermark",
            cancellationToken, ("version", version), ("dataset", dataset.Id), ("watermark", watermark));
}
