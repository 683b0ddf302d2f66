using ControlPlane.LiveChanges;
using Microsoft.Extensions.Options;
using Npgsql;
using NpgsqlTypes;

namespace ControlPlane.Datasets;

/// <summary>
/// Turns an import body into a new immutable version. Storage is copy-on-write: a record row is visible
/// in versions [from_version, to_version), so a version that changes k records opens and closes k rows.
/// Everything happens in one transaction; a failure at any point leaves no trace.
/// </summary>
public sealed partial class ImportService(
    NpgsqlDataSource dataSource,
    Guardrails guardrails,
    IOptions<ImportOptions> options,
    TimeProvider time,
    ILogger<ImportService> logger)
{
    // Advisory lock class for "one writer per dataset"; the dataset id is the second key.
    private const int DatasetWriteLockClass = 0x4350;

    public async Task<ImportOutcome> ImportAsync(ImportRequest request, Stream body, string? contentType, CancellationToken cancellationToken)
    {
        using var reader = RecordReader.Create(contentType, body, request.Dataset, allowOp: request.Mode == ImportMode.Delta);
        if (reader is null)
        {
            return new ImportOutcome.UnsupportedMediaType(
                $"Content-Type '{contentType}' is not supported; send {RecordReader.NdjsonContentType} or {RecordReader.CsvContentType}.");
        }

        var outcome = request.Mode == ImportMode.Full
            ? await ImportFullAsync(request, reader, cancellationToken)
            : await ImportDeltaAsync(request, reader, cancellationToken);
        switch (outcome)
        {
            case ImportOutcome.Created created:
                LogCreated(request.Dataset.Name, created.Version.Version, created.Version.Records, created.Version.Added, created.Version.Changed, created.Version.Removed);
                break;
            case ImportOutcome.Invalid invalid:
                LogRejected(request.Dataset.Name, invalid.Errors.Count);
                break;
        }

        return outcome;
    }

    private async Task<ImportOutcome> ImportFullAsync(ImportRequest request, RecordReader reader, CancellationToken cancellationToken)
    {
        var dataset = request.Dataset;
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        if (!await TryLockAsync(connection, dataset, cancellationToken))
        {
            return LockConflict(dataset);
        }

        var latest = await VersionState.LatestAsync(connection, dataset, cancellationToken);
        var version = (latest?.Info.Version ?? 0) + 1;

        // With no open rows, records can stream straight into their partition; otherwise they go to a
        // scratch table first and only the differences against the latest version are written.
        var direct = latest is null || latest.Value.Info.Records == 0;
        if (!direct)
        {
            await ExecuteAsync(connection, "CREATE TEMP TABLE import_stage (sku text COLLATE \"C\" NOT NULL, data text NOT NULL) ON COMMIT DROP", cancellationToken);
        }

        var errors = new ImportErrors();
        var copy = direct
            ? $"COPY {Partition(dataset)} (dataset_id, sku, from_version, data) FROM STDIN (FORMAT BINARY)"
            : "COPY import_stage (sku, data) FROM STDIN (FORMAT BINARY)";
        var started = time.GetTimestamp();
        ContentHash hash;
        await using (var importer = await connection.BeginBinaryImportAsync(copy, cancellationToken))
        {
            var pipeline = new SnapshotPipeline(reader, new RecordRules(dataset), errors, request.ExpectedBytes);
            hash = await pipeline.RunAsync(importer, direct ? dataset.Id : null, direct ? version : null, cancellationToken);
            if (errors.Any)
            {
                // Disposing without Complete cancels the COPY; the transaction rolls back with it.
                return new ImportOutcome.Invalid($"The import has {errors.Count} problem(s); nothing was stored.", errors);
            }

            if (hash.Count == 0 && !request.AllowEmpty)
            {
                errors.Add(pipeline.LastLine, null, "the snapshot has no records; pass allowEmpty=true to publish an empty version");
                return new ImportOutcome.Invalid("An empty full snapshot is refused unless allowEmpty=true.", errors);
            }

            await importer.CompleteAsync(cancellationToken);
        }

        var streamed = time.GetElapsedTime(started);
        var contentHash = hash.Value();
        if (latest is { } current && current.Info.ContentHash == contentHash)
        {
            return new ImportOutcome.Unchanged(current.Info);
        }

        long added = hash.Count, changed = 0, removed = 0;
        if (!direct)
        {
            (added, changed, removed) = await MergeStageAsync(connection, dataset, version, cancellationToken);
        }

        var merged = time.GetElapsedTime(started);

        var info = new VersionInfo(dataset.Name, version, "full", latest?.Info.Version, hash.Count, contentHash, added, changed, removed,
            time.GetUtcNow(), request.CreatedBy, request.Note, []);
        info = info with { Warnings = await guardrails.EvaluateAsync(connection, dataset, version, hash.Count, added + changed, latest?.Info, cancellationToken) };
        var checkedAt = time.GetElapsedTime(started);

        // A full snapshot supersedes every live change accepted before it (README, "Live changes"); the change log is
        // locked from here to the commit, so the watermark is exact.
        info = info with { ChangeWatermark = await ChangeLog.LockAsync(connection, dataset, cancellationToken) };
        await VersionState.InsertAsync(connection, dataset, info, hash.Sum(), cancellationToken);
        await ChangeLog.MarkFoldedAsync(connection, dataset, version, info.ChangeWatermark, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        if (added + changed + removed > 10_000)
        {
            // Fresh statistics keep the planner on the indexes for the change sets that follow a big import;
            // autovacuum would get there too, but only after its own delay.
            await ExecuteAsync(connection, $"ANALYZE {Partition(dataset)}", CancellationToken.None);
        }

        LogPhases(dataset.Name, version, streamed.TotalMilliseconds, (merged - streamed).TotalMilliseconds,
            (checkedAt - merged).TotalMilliseconds, (time.GetElapsedTime(started) - checkedAt).TotalMilliseconds);
        return new ImportOutcome.Created(info);
    }

    private static async Task<(long Added, long Changed, long Removed)> MergeStageAsync(
        NpgsqlConnection connection, DatasetDefinition dataset, int version, CancellationToken cancellationToken)
    {
        var partition = Partition(dataset);
        await ExecuteAsync(connection, "ANALYZE import_stage", cancellationToken);

        // One pass over the snapshot and the latest version finds every difference; the writes that
        // follow touch only the changed SKUs.
        await ExecuteAsync(connection,
            $"""
            CREATE TEMP TABLE import_changes ON COMMIT DROP AS
            SELECT coalesce(s.sku, r.sku) AS sku, s.data AS new_data, r.data IS NOT NULL AS existed
            FROM import_stage s
            FULL JOIN (SELECT sku, data FROM {partition} WHERE dataset_id = {dataset.Id} AND to_version IS NULL) r ON r.sku = s.sku
            WHERE s.data IS DISTINCT FROM r.data
            """, cancellationToken);
        await ExecuteAsync(connection,
            $"""
            UPDATE {partition} r SET to_version = {version}
            FROM import_changes c
            WHERE c.existed AND r.dataset_id = {dataset.Id} AND r.sku = c.sku AND r.to_version IS NULL
            """, cancellationToken);
        await ExecuteAsync(connection,
            $"""
            INSERT INTO {partition} (dataset_id, sku, from_version, data)
            SELECT {dataset.Id}, c.sku, {version}, c.new_data FROM import_changes c WHERE c.new_data IS NOT NULL
            """, cancellationToken);
        await using var command = new NpgsqlCommand(
            """
            SELECT count(*) FILTER (WHERE NOT existed),
                   count(*) FILTER (WHERE existed AND new_data IS NOT NULL),
                   count(*) FILTER (WHERE new_data IS NULL)
            FROM import_changes
            """, connection);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        return (reader.GetInt64(0), reader.GetInt64(1), reader.GetInt64(2));
    }

    private async Task<ImportOutcome> ImportDeltaAsync(ImportRequest request, RecordReader reader, CancellationToken cancellationToken)
    {
        var dataset = request.Dataset;
        if (request.BaseVersion is null)
        {
            var missing = new ImportErrors();
            missing.Add(0, "base", "mode=delta needs base=N, the version the change set applies to");
            return new ImportOutcome.Invalid("A change set needs a base version.", missing);
        }

        // A change set is bounded by MaxChangeSetLines, so it is parsed whole before any lock is taken.
        var errors = new ImportErrors();
        var changes = new Dictionary<string, (long Line, ChangeOp Op, string? Canonical)>(StringComparer.Ordinal);
        var fields = new RecordFields();
        var rules = new RecordRules(dataset);
        while (await reader.ReadAsync(fields, errors, cancellationToken))
        {
            if (changes.Count >= options.Value.MaxChangeSetLines)
            {
                errors.Add(reader.Line, null, $"a change set holds at most {options.Value.MaxChangeSetLines} lines; send a full snapshot instead");
                break;
            }

            var change = rules.ValidateChange(fields, reader.Line, errors);
            if (rules.LastSkuValid && !changes.TryAdd(fields.Sku!, (reader.Line, change?.Op ?? ChangeOp.Upsert, change?.Canonical)))
            {
                errors.Add(reader.Line, "sku", $"SKU '{fields.Sku}' appears twice in the change set (first on line {changes[fields.Sku!].Line})");
            }
        }

        if (errors.Any)
        {
            return new ImportOutcome.Invalid($"The change set has {errors.Count} problem(s); nothing was stored.", errors);
        }

        if (changes.Count == 0)
        {
            errors.Add(reader.Line, null, "the change set is empty");
            return new ImportOutcome.Invalid("The change set is empty.", errors);
        }

        return await ApplyChangeSetAsync(request, changes, cancellationToken);
    }

    /// <summary>
    /// Folds the dataset's live changes not yet in a version into a new version of kind "fold", through the same path as a
    /// change set, so the content hash rule holds. Answers Unchanged when there is nothing to fold.
    /// </summary>
    public async Task<ImportOutcome> FoldAsync(DatasetDefinition dataset, string createdBy, string? note, CancellationToken cancellationToken)
    {
        var request = new ImportRequest(dataset, ImportMode.Fold, null, Rebase: true, AllowEmpty: true, createdBy, note);
        var outcome = await ApplyChangeSetAsync(request, [], cancellationToken);
        if (outcome is ImportOutcome.Created created)
        {
            LogCreated(dataset.Name, created.Version.Version, created.Version.Records, created.Version.Added, created.Version.Changed, created.Version.Removed);
        }

        return outcome;
    }

    /// <summary>
    /// Applies a change set (none for a fold) to the dataset's head: the latest version plus the live changes after its
    /// watermark, which the new version absorbs. The change set's own lines win over live changes for their SKUs.
    /// </summary>
    private async Task<ImportOutcome> ApplyChangeSetAsync(
        ImportRequest request, Dictionary<string, (long Line, ChangeOp Op, string? Canonical)> changes, CancellationToken cancellationToken)
    {
        var dataset = request.Dataset;
        var fold = request.Mode == ImportMode.Fold;
        var errors = new ImportErrors();
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        if (!await TryLockAsync(connection, dataset, cancellationToken))
        {
            return LockConflict(dataset);
        }

        var latest = await VersionState.LatestAsync(connection, dataset, cancellationToken);
        if (!fold)
        {
            var baseVersion = request.BaseVersion!.Value;
            if (latest is null || !await VersionState.ExistsAsync(connection, dataset, baseVersion, cancellationToken))
            {
                return new ImportOutcome.NotFound($"Dataset '{dataset.Name}' has no version {baseVersion} to apply the change set to.");
            }

            if (latest.Value.Info.Version != baseVersion && !request.Rebase)
            {
                return new ImportOutcome.Conflict(
                    $"Base version {baseVersion} is not the latest version of '{dataset.Name}' (that is {latest.Value.Info.Version}); pass rebase=true to apply the change set to version {latest.Value.Info.Version}.");
            }
        }

        var current = latest?.Info;
        var currentSum = latest?.HashSum ?? new byte[32];

        // The change log stays locked until the commit, so the new version's watermark is exact.
        var watermark = await ChangeLog.LockAsync(connection, dataset, cancellationToken);
        var pending = await ChangeLog.PendingAsync(connection, dataset, current?.ChangeWatermark ?? 0, cancellationToken);
        if (fold && pending.Count == 0)
        {
            return current is null
                ? new ImportOutcome.NotFound($"Dataset '{dataset.Name}' has neither a version nor live changes to fold.")
                : new ImportOutcome.Unchanged(current);
        }

        var started = time.GetTimestamp();
        var existing = await LoadOpenRowsAsync(connection, dataset, [.. changes.Keys.Union(pending.Keys)], cancellationToken);
        var loaded = time.GetElapsedTime(started);
        var hash = ContentHash.FromState(currentSum, current?.Records ?? 0);
        var toClose = new List<string>();
        var toOpen = new List<(string Sku, string Data)>();
        long added = 0, changed = 0, removed = 0;
        var targets = changes.Select(c => (Sku: c.Key, c.Value.Line, c.Value.Op, c.Value.Canonical))
            .Concat(pending.Where(p => !changes.ContainsKey(p.Key)).Select(p => (Sku: p.Key, Line: 0L, Op: p.Value is null ? ChangeOp.Delete : ChangeOp.Upsert, Canonical: p.Value)));
        foreach (var (sku, line, op, canonical) in targets)
        {
            var had = existing.TryGetValue(sku, out var before);
            if (op == ChangeOp.Delete)
            {
                if (!had)
                {
                    // Not in the version: fine when a live change added (or deleted) it since; the head loses it either way.
                    if (line > 0 && !pending.ContainsKey(sku))
                    {
                        errors.Add(line, "sku", $"cannot delete SKU '{sku}': it is not in version {current?.Version}");
                    }

                    continue;
                }

                hash.Remove(before!);
                toClose.Add(sku);
                removed++;
            }
            else if (!had)
            {
                hash.Add(canonical!);
                toOpen.Add((sku, canonical!));
                added++;
            }
            else if (!string.Equals(before, canonical, StringComparison.Ordinal))
            {
                hash.Remove(before!);
                hash.Add(canonical!);
                toClose.Add(sku);
                toOpen.Add((sku, canonical!));
                changed++;
            }
        }

        if (errors.Any)
        {
            return new ImportOutcome.Invalid($"The change set has {errors.Count} problem(s); nothing was stored.", errors);
        }

        // A fold always makes a version when changes are pending, even if they net to nothing: its watermark moves.
        if (toClose.Count == 0 && toOpen.Count == 0 && pending.Count == 0 && current is not null)
        {
            return new ImportOutcome.Unchanged(current);
        }

        var version = (current?.Version ?? 0) + 1;
        await using (var close = new NpgsqlCommand(
            $"UPDATE {Partition(dataset)} SET to_version = @version WHERE dataset_id = {dataset.Id} AND to_version IS NULL AND sku = ANY(@skus)", connection))
        {
            close.Parameters.AddWithValue("version", version);
            close.Parameters.AddWithValue("skus", toClose.ToArray());
            await close.ExecuteNonQueryAsync(cancellationToken);
        }

        await using (var importer = await connection.BeginBinaryImportAsync(
            $"COPY {Partition(dataset)} (dataset_id, sku, from_version, data) FROM STDIN (FORMAT BINARY)", cancellationToken))
        {
            foreach (var (sku, data) in toOpen)
            {
                await importer.StartRowAsync(cancellationToken);
                await importer.WriteAsync(dataset.Id, NpgsqlDbType.Smallint, cancellationToken);
                await importer.WriteAsync(sku, NpgsqlDbType.Text, cancellationToken);
                await importer.WriteAsync(version, NpgsqlDbType.Integer, cancellationToken);
                await importer.WriteAsync(data, NpgsqlDbType.Text, cancellationToken);
            }

            await importer.CompleteAsync(cancellationToken);
        }

        var info = new VersionInfo(dataset.Name, version, fold ? "fold" : "delta", current?.Version, hash.Count, hash.Value(), added, changed, removed,
            time.GetUtcNow(), request.CreatedBy, request.Note, [])
        {
            ChangeWatermark = watermark,
        };
        var written = time.GetElapsedTime(started);
        info = info with { Warnings = await guardrails.EvaluateAsync(connection, dataset, version, hash.Count, added + changed, current, cancellationToken) };
        var checkedAt = time.GetElapsedTime(started);
        await VersionState.InsertAsync(connection, dataset, info, hash.Sum(), cancellationToken);
        await ChangeLog.MarkFoldedAsync(connection, dataset, version, watermark, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        LogDeltaPhases(dataset.Name, version, loaded.TotalMilliseconds, (written - loaded).TotalMilliseconds,
            (checkedAt - written).TotalMilliseconds, (time.GetElapsedTime(started) - checkedAt).TotalMilliseconds);
        return new ImportOutcome.Created(info);
    }

    private static async Task<Dictionary<string, string>> LoadOpenRowsAsync(
        NpgsqlConnection connection, DatasetDefinition dataset, string[] skus, CancellationToken cancellationToken)
    {
        var rows = new Dictionary<string, string>(skus.Length, StringComparer.Ordinal);
        await using var command = new NpgsqlCommand(
            $"SELECT sku, data FROM {Partition(dataset)} WHERE dataset_id = {dataset.Id} AND to_version IS NULL AND sku = ANY(@skus)", connection);
        command.Parameters.AddWithValue("skus", skus);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            rows[reader.GetString(0)] = reader.GetString(1);
        }

        return rows;
    }

    private async Task<bool> TryLockAsync(NpgsqlConnection connection, DatasetDefinition dataset, CancellationToken cancellationToken)
    {
        var timeoutMs = (long)options.Value.LockTimeout.TotalMilliseconds;
        await ExecuteAsync(connection, $"SET LOCAL lock_timeout = {timeoutMs}", cancellationToken);
        try
        {
            await ExecuteAsync(connection, $"SELECT pg_advisory_xact_lock({DatasetWriteLockClass}, {dataset.Id})", cancellationToken);
        }
        catch (PostgresException exception) when (exception.SqlState == PostgresErrorCodes.LockNotAvailable)
        {
            return false;
        }

        await ExecuteAsync(connection, "SET LOCAL lock_timeout = 0", cancellationToken);
        return true;
    }

    private ImportOutcome.Conflict LockConflict(DatasetDefinition dataset) => new(
        $"Another import of '{dataset.Name}' held the dataset for longer than {options.Value.LockTimeout}; retry when it has finished.");

    internal static string Partition(DatasetDefinition dataset) => "records_" + dataset.Name;

    private static async Task<int> ExecuteAsync(NpgsqlConnection connection, string sql, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        return await command.ExecuteNonQueryAsync(cancellationToken);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Created {Dataset} version {Version}: {Records} records ({Added} added, {Changed} changed, {Removed} removed)")]
    private partial void LogCreated(string dataset, int version, long records, long added, long changed, long removed);

    [LoggerMessage(Level = LogLevel.Information,
        Message = "Import of {Dataset} version {Version} took {StreamMs:0} ms reading and copying, {MergeMs:0} ms merging, {GuardrailMs:0} ms on guardrails, {CommitMs:0} ms committing")]
    private partial void LogPhases(string dataset, int version, double streamMs, double mergeMs, double guardrailMs, double commitMs);

    [LoggerMessage(Level = LogLevel.Information,
        Message = "Change set {Dataset} version {Version} took {LoadMs:0} ms loading current rows, {WriteMs:0} ms writing, {GuardrailMs:0} ms on guardrails, {CommitMs:0} ms committing")]
    private partial void LogDeltaPhases(string dataset, int version, double loadMs, double writeMs, double guardrailMs, double commitMs);

    [LoggerMessage(Level = LogLevel.Information, Message = "Rejected an import of {Dataset} with {ErrorCount} problems")]
    private partial void LogRejected(string dataset, long errorCount);
}
