using System.Runtime.CompilerServices;
using ControlPlane.Audit;
using ControlPlane.Datasets;
using ControlPlane.Infrastructure;
using Microsoft.Extensions.Options;
using Npgsql;

namespace ControlPlane.Tiers;

/// <summary>What one pass of the archive job did.</summary>
public sealed record ArchiveRunResult(int Queued, IReadOnlyList<string> Archived, IReadOnlyList<string> Skipped, IReadOnlyList<string> Failed)
{
    /// <summary>Cold versions whose archive was older than the policies' coldKeepDays and was deleted (<see cref="ColdExpiry"/>).</summary>
    public IReadOnlyList<string> Expired { get; init; } = [];
}

/// <summary>
/// Moves versions that left every warm window to cold storage. Per version: write the chunks and then the manifest,
/// read everything back and recompute the content hash, and only then, in one transaction, remove the rows no warm
/// version needs and mark the version cold. A crash at any step leaves the version warm and whole, or cold and
/// archived. Tasks live in <c>archive_tasks</c>; an instance works on a task while it holds the task's advisory
/// lock, so any number of instances can run the job (I7), and a task of a crashed instance is picked up again.
/// </summary>
public sealed partial class ArchiveJob(
    NpgsqlDataSource dataSource,
    ColdArchive archive,
    ColdExpiry expiry,
    AuditLog audit,
    TierPlanner planner,
    IOptions<TierOptions> options,
    TimeProvider time,
    ILogger<ArchiveJob> logger)
{
    /// <summary>The actor of the archive job's audit entries.</summary>
    public const string AuditActor = "system:archive-job";

    public const string AuditKind = "version.archive";

    private const int TaskLockSpace = 0x54490000;
    /// <summary>Advisory lock (with the dataset id) held by whatever removes a dataset's warm rows or cold archives.</summary>
    internal const int DeleteLock = 0x5450;

    public async Task<ArchiveRunResult> RunOnceAsync(CancellationToken cancellationToken)
    {
        var queued = await QueueAsync(cancellationToken);
        var archived = new List<string>();
        var skipped = new List<string>();
        var failed = new List<string>();
        var tried = new HashSet<(short, int)>();
        while (await ClaimAsync(tried, cancellationToken) is { } claim)
        {
            await using (claim.Lock)
            {
                var name = $"{claim.Dataset.Name} v{claim.Version}";
                tried.Add((claim.Dataset.Id, claim.Version));
                try
                {
                    var outcome = await ArchiveAsync(claim.Dataset, claim.Version, cancellationToken);
                    (outcome ? archived : skipped).Add(name);
                }
                catch (Exception exception) when (exception is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
                {
                    failed.Add($"{name}: {exception.Message}");
                    await FailAsync(claim.Dataset, claim.Version, exception, CancellationToken.None);
                }
                finally
                {
                    await claim.Lock.Connection.ExecuteAsync("SELECT pg_advisory_unlock(@space + @dataset, @version)", CancellationToken.None,
                        ("space", TaskLockSpace), ("dataset", (int)claim.Dataset.Id), ("version", claim.Version));
                }
            }
        }

        var expired = await expiry.RunOnceAsync(cancellationToken);
        return new ArchiveRunResult(queued, archived, skipped, failed) { Expired = expired };
    }

    /// <summary>Records a task for every version the plan sends to cold; a skipped one is queued again.</summary>
    private async Task<int> QueueAsync(CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var plan = await planner.PlanAsync(connection, null, cancellationToken);
        var now = time.GetUtcNow();
        var queued = 0;
        foreach (var dataset in plan.Datasets.Values)
        {
            foreach (var version in dataset.ToArchive)
            {
                queued += await connection.ExecuteAsync(
                    """
                    INSERT INTO archive_tasks (dataset_id, version, state, queued_at, next_attempt_at, step)
                    VALUES (@dataset, @version, 'queued', @now, @now, 'queued')
                    ON CONFLICT (dataset_id, version) DO UPDATE SET state = 'queued', queued_at = @now, next_attempt_at = @now,
                        step = 'queued', last_error = NULL, finished_at = NULL
                    WHERE archive_tasks.state = 'skipped'
                    """, cancellationToken, ("dataset", dataset.Dataset.Id), ("version", version), ("now", now));
            }
        }

        return queued;
    }

    private sealed record Claim(DatasetDefinition Dataset, int Version, LockHolder Lock);

    private sealed class LockHolder(NpgsqlConnection connection) : IAsyncDisposable
    {
        public NpgsqlConnection Connection => connection;

        public ValueTask DisposeAsync() => connection.DisposeAsync();
    }

    private async Task<Claim?> ClaimAsync(HashSet<(short, int)> tried, CancellationToken cancellationToken)
    {
        var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        try
        {
            var candidates = new List<(short Dataset, int Version)>();
            await using (var command = connection.Command(
                """
                SELECT dataset_id, version FROM archive_tasks
                WHERE state IN ('queued', 'running', 'retrying') AND next_attempt_at <= @now
                ORDER BY next_attempt_at, dataset_id, version LIMIT 100
                """, ("now", time.GetUtcNow())))
            await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
            {
                while (await reader.ReadAsync(cancellationToken))
                {
                    candidates.Add((reader.GetInt16(0), reader.GetInt32(1)));
                }
            }

            foreach (var (dataset, version) in candidates.Where(c => !tried.Contains(c)))
            {
                // Held for the whole attempt on this connection; released at the end or when the instance dies.
                if (await connection.ScalarAsync<bool>("SELECT pg_try_advisory_lock(@space + @dataset, @version)", cancellationToken,
                    ("space", TaskLockSpace), ("dataset", (int)dataset), ("version", version)))
                {
                    return new Claim(DatasetDefinition.ById(dataset), version, new LockHolder(connection));
                }
            }
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }

        await connection.DisposeAsync();
        return null;
    }

    /// <summary>True when the version went cold, false when it no longer leaves warm.</summary>
    private async Task<bool> ArchiveAsync(DatasetDefinition dataset, int version, CancellationToken cancellationToken)
    {
        var settings = options.Value;
        await SetAsync(dataset, version, "UPDATE archive_tasks SET state = 'running', attempts = attempts + 1, started_at = @now, step = 'checking', chunks_written = 0, bytes_written = 0, records_written = 0 WHERE dataset_id = @dataset AND version = @version", cancellationToken);

        (long Records, string ContentHash, string Tier) row;
        await using (var connection = await dataSource.OpenConnectionAsync(cancellationToken))
        {
            await using var command = connection.Command(
                "SELECT records, content_hash, tier FROM dataset_versions WHERE dataset_id = @dataset AND version = @version",
                ("dataset", dataset.Id), ("version", version));
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            if (!await reader.ReadAsync(cancellationToken))
            {
                throw new InvalidOperationException($"{dataset.Name} version {version} does not exist.");
            }

            row = (reader.GetInt64(0), reader.GetString(1), reader.GetString(2));
            await reader.DisposeAsync();
            if (row.Tier != "warm" || (await planner.PlanAsync(connection, null, cancellationToken)).Datasets[dataset.Name].MustStayWarm(version))
            {
                await SkipAsync(dataset, version, row.Tier != "warm" ? $"already {row.Tier}" : "no longer leaves warm", cancellationToken);
                return false;
            }
        }

        LogArchiving(dataset.Name, version, row.Records, archive.Store.Name);
        var started = time.GetTimestamp();
        await SetAsync(dataset, version, "UPDATE archive_tasks SET step = 'writing' WHERE dataset_id = @dataset AND version = @version", cancellationToken);
        var writer = new ArchiveWriter(archive.Store, settings.Compression, settings.ChunkRecords);
        var written = await writer.WriteAsync(dataset.Name, version, row.Records, row.ContentHash, WarmRecordsAsync(dataset, version, cancellationToken),
            (chunks, records, bytes) => ProgressAsync(dataset, version, chunks, records, bytes, cancellationToken), time.GetUtcNow(), cancellationToken);

        await SetAsync(dataset, version, "UPDATE archive_tasks SET step = 'verifying' WHERE dataset_id = @dataset AND version = @version", cancellationToken);
        await VerifyAsync(dataset, version, row, written, cancellationToken);

        await SetAsync(dataset, version, "UPDATE archive_tasks SET step = 'removing warm rows' WHERE dataset_id = @dataset AND version = @version", cancellationToken);
        var removed = await CommitColdAsync(dataset, version, written, cancellationToken);
        if (removed is null)
        {
            await SkipAsync(dataset, version, "became protected while it was archived; it stays warm", cancellationToken);
            return false;
        }

        LogArchived(dataset.Name, version, written.Chunks.Count, written.RawBytes, written.StoredBytes, removed.Value, time.GetElapsedTime(started).TotalSeconds);
        return true;
    }

    /// <summary>Reads the archive back from the store, not from memory, and checks it says what the version holds.</summary>
    private async Task VerifyAsync(DatasetDefinition dataset, int version, (long Records, string ContentHash, string Tier) row, ArchiveManifest written, CancellationToken cancellationToken)
    {
        archive.Forget(dataset.Name, version);
        var manifest = await archive.ManifestAsync(dataset.Name, version, cancellationToken);
        if (manifest.Records != row.Records || manifest.ContentHash != row.ContentHash || manifest.Chunks.Count != written.Chunks.Count
            || manifest.Chunks.Zip(written.Chunks).Any(pair => pair.First != pair.Second))
        {
            throw new ColdArchiveException(dataset.Name, version, null, ArchiveFormat.ManifestKey(dataset.Name, version), "read back differs from what was written");
        }

        var hash = new ContentHash();
        for (var index = 0; index < manifest.Chunks.Count; index++)
        {
            var chunk = await archive.ChunkAsync(manifest, index, cancellationToken, useCache: false);
            foreach (var data in chunk.Data)
            {
                hash.Add(data);
            }
        }

        if (hash.Count != row.Records || hash.Value() != row.ContentHash)
        {
            throw new ColdArchiveException(dataset.Name, version, null, ArchiveFormat.ManifestKey(dataset.Name, version),
                $"read back holds {hash.Count} records with content hash {hash.Value()}, where the version has {row.Records} with {row.ContentHash}");
        }
    }

    /// <summary>The one transaction that makes a version cold; null when it must stay warm after all.</summary>
    private async Task<long?> CommitColdAsync(DatasetDefinition dataset, int version, ArchiveManifest manifest, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);

        // One removal per dataset at a time, so each sees which versions the others left warm. Locking the version
        // row orders this against a publication starting with it (which reads it FOR SHARE).
        await connection.ExecuteAsync("SELECT pg_advisory_xact_lock(@lock, @dataset)", cancellationToken, ("lock", DeleteLock), ("dataset", (int)dataset.Id));
        var tier = await connection.ScalarAsync<string>(
            "SELECT tier FROM dataset_versions WHERE dataset_id = @dataset AND version = @version FOR UPDATE", cancellationToken,
            ("dataset", dataset.Id), ("version", version));
        if (tier != "warm" || (await planner.PlanAsync(connection, null, cancellationToken)).Datasets[dataset.Name].MustStayWarm(version))
        {
            return null;
        }

        // A row serves every version in [from_version, to_version). Remove the rows serving this version that serve no
        // warm version: those starting after the nearest warm version below and ending at or before the nearest above.
        // Rows still open (to_version NULL) serve the latest version, which is always warm.
        var below = await connection.ScalarAsync<int?>(
            "SELECT max(version) FROM dataset_versions WHERE dataset_id = @dataset AND tier = 'warm' AND version < @version", cancellationToken,
            ("dataset", dataset.Id), ("version", version)) ?? 0;
        var above = await connection.ScalarAsync<int?>(
            "SELECT min(version) FROM dataset_versions WHERE dataset_id = @dataset AND tier = 'warm' AND version > @version", cancellationToken,
            ("dataset", dataset.Id), ("version", version)) ?? int.MaxValue;
        var removed = await connection.ExecuteAsync(
            $"""
            DELETE FROM {ImportService.Partition(dataset)}
            WHERE dataset_id = @dataset AND from_version <= @version AND from_version > @below
              AND to_version IS NOT NULL AND to_version > @version AND to_version <= @above
            """, cancellationToken, ("dataset", dataset.Id), ("version", version), ("below", below), ("above", above));
        var now = time.GetUtcNow();
        await connection.ExecuteAsync("UPDATE dataset_versions SET tier = 'cold' WHERE dataset_id = @dataset AND version = @version", cancellationToken,
            ("dataset", dataset.Id), ("version", version));
        await connection.ExecuteAsync(
            """
            INSERT INTO version_archives (dataset_id, version, store, manifest_key, format, compression, chunks, raw_bytes, stored_bytes, rows_removed, archived_at)
            VALUES (@dataset, @version, @store, @key, @format, @compression, @chunks, @raw, @stored, @removed, @now)
            """, cancellationToken, ("dataset", dataset.Id), ("version", version), ("store", archive.Store.Name),
            ("key", ArchiveFormat.ManifestKey(dataset.Name, version)), ("format", manifest.Format), ("compression", manifest.Compression),
            ("chunks", manifest.Chunks.Count), ("raw", manifest.RawBytes), ("stored", manifest.StoredBytes), ("removed", (long)removed), ("now", now));
        await connection.ExecuteAsync(
            "UPDATE archive_tasks SET state = 'done', step = 'done', finished_at = @now, last_error = NULL WHERE dataset_id = @dataset AND version = @version",
            cancellationToken, ("dataset", dataset.Id), ("version", version), ("now", now));
        await audit.AppendAsync(connection, transaction, new AuditEntry(AuditActor, AuditKind, Target: $"{dataset.Name}:{version}",
            Reason: "left every warm window", Before: new { tier = "warm" },
            After: new { tier = "cold", store = archive.Store.Name, chunks = manifest.Chunks.Count, manifest.RawBytes, manifest.StoredBytes, rowsRemoved = removed }),
            cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return removed;
    }

    private async IAsyncEnumerable<(string Sku, string Data)> WarmRecordsAsync(
        DatasetDefinition dataset, int version, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var command = connection.Command(
            $"""
            SELECT sku, data FROM {ImportService.Partition(dataset)}
            WHERE dataset_id = @dataset AND from_version <= @version AND (to_version IS NULL OR to_version > @version)
            ORDER BY sku
            """, ("dataset", dataset.Id), ("version", version));
        command.CommandTimeout = 0;
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            yield return (reader.GetString(0), reader.GetString(1));
        }
    }

    private Task ProgressAsync(DatasetDefinition dataset, int version, int chunks, long records, long bytes, CancellationToken cancellationToken) =>
        ExecuteAsync(
            "UPDATE archive_tasks SET chunks_written = @chunks, records_written = @records, bytes_written = @bytes WHERE dataset_id = @dataset AND version = @version",
            cancellationToken, ("dataset", dataset.Id), ("version", version), ("chunks", chunks), ("records", records), ("bytes", bytes));

    private Task SkipAsync(DatasetDefinition dataset, int version, string why, CancellationToken cancellationToken) =>
        ExecuteAsync(
            "UPDATE archive_tasks SET state = 'skipped', step = @why, finished_at = @now WHERE dataset_id = @dataset AND version = @version",
            cancellationToken, ("dataset", dataset.Id), ("version", version), ("why", why), ("now", time.GetUtcNow()));

    private async Task FailAsync(DatasetDefinition dataset, int version, Exception exception, CancellationToken cancellationToken)
    {
        var settings = options.Value;
        var attempts = await ScalarAsync<int?>("SELECT attempts FROM archive_tasks WHERE dataset_id = @dataset AND version = @version", cancellationToken,
            ("dataset", dataset.Id), ("version", version)) ?? 1;
        var wait = TimeSpan.FromTicks(Math.Min(settings.RetryMax.Ticks, settings.RetryBase.Ticks * (1L << Math.Min(Math.Max(attempts - 1, 0), 20))));
        LogFailed(exception, dataset.Name, version, attempts, wait.TotalSeconds);
        await ExecuteAsync(
            """
            UPDATE archive_tasks SET state = 'retrying', next_attempt_at = @next, last_error = @error
            WHERE dataset_id = @dataset AND version = @version
            """, cancellationToken, ("dataset", dataset.Id), ("version", version), ("next", time.GetUtcNow() + wait),
            ("error", exception.Message.Length > 2000 ? exception.Message[..2000] : exception.Message));
    }

    private Task SetAsync(DatasetDefinition dataset, int version, string sql, CancellationToken cancellationToken) =>
        ExecuteAsync(sql, cancellationToken, ("dataset", dataset.Id), ("version", version), ("now", time.GetUtcNow()));

    private async Task ExecuteAsync(string sql, CancellationToken cancellationToken, params (string, object?)[] parameters)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await connection.ExecuteAsync(sql, cancellationToken, parameters);
    }

    private async Task<T?> ScalarAsync<T>(string sql, CancellationToken cancellationToken, params (string, object?)[] parameters)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return await connection.ScalarAsync<T>(sql, cancellationToken, parameters);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Archiving {Dataset} version {Version} ({Records} records) to {Store}")]
    private partial void LogArchiving(string dataset, int version, long records, string store);

    [LoggerMessage(Level = LogLevel.Information, Message = "Archived {Dataset} version {Version}: {Chunks} chunks, {RawBytes} bytes raw, {StoredBytes} stored; {Rows} warm rows removed in {Seconds:F1} s")]
    private partial void LogArchived(string dataset, int version, int chunks, long rawBytes, long storedBytes, long rows, double seconds);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Archiving {Dataset} version {Version} failed (attempt {Attempts}); nothing was removed from warm; retrying in {Seconds:F0} s")]
    private partial void LogFailed(Exception exception, string dataset, int version, int attempts, double seconds);
}
