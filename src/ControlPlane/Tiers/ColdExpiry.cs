using ControlPlane.Audit;
using ControlPlane.Datasets;
using ControlPlane.Infrastructure;
using Npgsql;

namespace ControlPlane.Tiers;

/// <summary>
/// Applies <c>coldKeepDays</c>: a cold version whose archive is older than every environment's keep (the longest wins;
/// a policy without one keeps archives for ever) and that nothing protects (live, in flight, hot, pinned, scheduled, in
/// a warm window) becomes <c>expired</c> and its archive is deleted from the cold store. The version row stays as
/// history. The tier changes first, in one transaction that checks the protection again under the dataset's delete
/// lock; the objects go after, and the archive's row only once they are gone, so a store that fails is tried again at
/// the next run and nothing ever reads a half-deleted archive as whole.
/// </summary>
public sealed partial class ColdExpiry(NpgsqlDataSource dataSource, ColdArchive archive, AuditLog audit, TierPlanner planner, TimeProvider time,
    ILogger<ColdExpiry> logger)
{
    public const string AuditKind = "version.expire";

    /// <summary>Expires what the policies let go and deletes the archives of expired versions; returns "price v3" for each expired now.</summary>
    public async Task<IReadOnlyList<string>> RunOnceAsync(CancellationToken cancellationToken)
    {
        var expired = new List<string>();
        foreach (var (dataset, version, keepDays) in await CandidatesAsync(cancellationToken))
        {
            if (await ExpireAsync(dataset, version, keepDays, cancellationToken))
            {
                expired.Add($"{dataset.Name} v{version}");
            }
        }

        await DeleteArchivesAsync(cancellationToken);
        return expired;
    }

    private async Task<List<(DatasetDefinition Dataset, int Version, int KeepDays)>> CandidatesAsync(CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var plan = await planner.PlanAsync(connection, null, cancellationToken);
        var now = time.GetUtcNow();
        var candidates = new List<(DatasetDefinition, int, int)>();
        foreach (var dataset in plan.Datasets.Values.Where(d => d.ColdKeepDays is not null))
        {
            var keepDays = dataset.ColdKeepDays!.Value;
            await using var command = connection.Command(
                """
                SELECT v.version FROM dataset_versions v
                JOIN version_archives a ON a.dataset_id = v.dataset_id AND a.version = v.version
                WHERE v.dataset_id = @dataset AND v.tier = 'cold' AND a.archived_at < @before
                ORDER BY v.version
                """, ("dataset", dataset.Dataset.Id), ("before", now.AddDays(-keepDays)));
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                if (!dataset.MustStayWarm(reader.GetInt32(0)))
                {
                    candidates.Add((dataset.Dataset, reader.GetInt32(0), keepDays));
                }
            }
        }

        return candidates;
    }

    /// <summary>Marks the version expired unless, checked again under the lock, it is protected or kept longer now.</summary>
    private async Task<bool> ExpireAsync(DatasetDefinition dataset, int version, int keepDays, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await connection.ExecuteAsync("SELECT pg_advisory_xact_lock(@lock, @dataset)", cancellationToken, ("lock", ArchiveJob.DeleteLock), ("dataset", (int)dataset.Id));
        var tier = await connection.ScalarAsync<string>(
            "SELECT tier FROM dataset_versions WHERE dataset_id = @dataset AND version = @version FOR UPDATE", cancellationToken,
            ("dataset", dataset.Id), ("version", version));
        var plan = (await planner.PlanAsync(connection, null, cancellationToken)).Datasets[dataset.Name];
        var archivedAt = await connection.ScalarAsync<DateTimeOffset?>(
            "SELECT archived_at FROM version_archives WHERE dataset_id = @dataset AND version = @version", cancellationToken,
            ("dataset", dataset.Id), ("version", version));
        if (tier != "cold" || plan.MustStayWarm(version) || plan.ColdKeepDays is not { } keep || archivedAt is not { } at
            || at >= time.GetUtcNow().AddDays(-keep))
        {
            return false;
        }

        await connection.ExecuteAsync("UPDATE dataset_versions SET tier = 'expired' WHERE dataset_id = @dataset AND version = @version", cancellationToken,
            ("dataset", dataset.Id), ("version", version));
        await audit.AppendAsync(connection, transaction, new AuditEntry(ArchiveJob.AuditActor, AuditKind, Target: $"{dataset.Name}:{version}",
            Reason: $"archived {at:O}, older than coldKeepDays {keep}", Before: new { tier = "cold" }, After: new { tier = "expired" }), cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        LogExpired(dataset.Name, version, at, keepDays);
        return true;
    }

    /// <summary>Deletes the objects of every expired version that still has an archive row, manifest first; then the row.</summary>
    private async Task DeleteArchivesAsync(CancellationToken cancellationToken)
    {
        var archives = new List<(short Dataset, int Version, int Chunks, string Compression)>();
        await using (var connection = await dataSource.OpenConnectionAsync(cancellationToken))
        await using (var command = connection.Command(
            """
            SELECT a.dataset_id, a.version, a.chunks, a.compression FROM version_archives a
            JOIN dataset_versions v ON v.dataset_id = a.dataset_id AND v.version = a.version
            WHERE v.tier = 'expired'
            """))
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                archives.Add((reader.GetInt16(0), reader.GetInt32(1), reader.GetInt32(2), reader.GetString(3)));
            }
        }

        foreach (var (datasetId, version, chunks, compression) in archives)
        {
            var dataset = DatasetDefinition.ById(datasetId);
            try
            {
                // The manifest first: an archive missing its manifest is plainly gone, never read as whole.
                await archive.Store.DeleteAsync(ArchiveFormat.ManifestKey(dataset.Name, version), cancellationToken);
                for (var index = 0; index < chunks; index++)
                {
                    await archive.Store.DeleteAsync(ArchiveFormat.ChunkKey(dataset.Name, version, index, compression), cancellationToken);
                }

                archive.Forget(dataset.Name, version);
                await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
                await connection.ExecuteAsync("DELETE FROM version_archives WHERE dataset_id = @dataset AND version = @version", cancellationToken,
                    ("dataset", datasetId), ("version", version));
            }
            catch (ColdStoreUnavailableException exception)
            {
                LogDeleteFailed(exception, dataset.Name, version);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "{Dataset} version {Version} expired: archived {ArchivedAt:O}, older than coldKeepDays {KeepDays}")]
    private partial void LogExpired(string dataset, int version, DateTimeOffset archivedAt, int keepDays);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Deleting the archive of expired {Dataset} version {Version} failed; trying again at the next run")]
    private partial void LogDeleteFailed(Exception exception, string dataset, int version);
}
