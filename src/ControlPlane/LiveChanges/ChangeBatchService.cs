using System.Text;
using System.Text.Json;
using ControlPlane.Audit;
using ControlPlane.Datasets;
using ControlPlane.Infrastructure;
using Npgsql;
using NpgsqlTypes;

namespace ControlPlane.LiveChanges;

/// <summary>What a change batch came to.</summary>
public abstract record ChangeBatchOutcome
{
    /// <summary>Processed (now or, when <see cref="ChangeBatchAnswer.Replayed"/>, by an earlier request with the same key).</summary>
    public sealed record Answered(ChangeBatchAnswer Answer) : ChangeBatchOutcome;

    /// <summary>The Idempotency-Key was used before with another body.</summary>
    public sealed record KeyReused(string Detail) : ChangeBatchOutcome;
}

/// <summary>
/// Accepts change batches: each accepted line gets the dataset's next sequence number and is durable in PostgreSQL, with
/// the batch and its answer, before the answer leaves (I3). Batches of one dataset are serialized by the change log lock,
/// so sequence numbers have no gaps at acceptance and per SKU order is the order of acceptance (README, "Live changes").
/// </summary>
public sealed partial class ChangeBatchService(NpgsqlDataSource dataSource, AuditLog audit, TimeProvider time, ILogger<ChangeBatchService> logger)
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public async Task<ChangeBatchOutcome> AcceptAsync(
        DatasetDefinition dataset, IReadOnlyList<ParsedChange> parsed, IReadOnlyList<RejectedChange> refusedByRules, int lines,
        string? idempotencyKey, string bodySha256, string actor, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var lastSeq = await ChangeLog.LockAsync(connection, dataset, cancellationToken);

        // The key is checked under the lock, so two concurrent requests with one key cannot both apply.
        if (idempotencyKey is not null && await StoredAnswerAsync(connection, dataset, actor, idempotencyKey, cancellationToken) is { } stored)
        {
            return stored.BodySha256 == bodySha256
                ? new ChangeBatchOutcome.Answered(stored.Answer with { Replayed = true })
                : new ChangeBatchOutcome.KeyReused(
                    $"Idempotency-Key '{idempotencyKey}' was used for another batch of '{dataset.Name}' (batch {stored.Answer.Batch}); use a new key for new changes.");
        }

        var head = await HeadAsync(connection, dataset, [.. parsed.Where(p => p.Op == LiveChangeOp.Adjust).Select(p => p.Sku).Distinct(StringComparer.Ordinal)], cancellationToken);
        var allowOversell = await connection.ScalarAsync<bool>(
            "SELECT allow_oversell FROM change_streams WHERE dataset_id = @dataset", cancellationToken, ("dataset", dataset.Id));
        var rejected = new List<RejectedChange>(refusedByRules);
        var accepted = new List<(ParsedChange Change, long Seq, string? Data)>(parsed.Count);
        foreach (var change in parsed)
        {
            string? data;
            if (change.Op == LiveChangeOp.Adjust)
            {
                if (!head.TryGetValue(change.Sku, out var current) || current is null)
                {
                    rejected.Add(new RejectedChange(change.Line, change.Sku, "sku", StatusCodes.Status400BadRequest,
                        $"SKU '{change.Sku}' is not in stock (neither in the latest version nor added by a live change); upsert it first"));
                    continue;
                }

                var (available, warehouse) = StockJson.Read(current);
                var after = available + change.Delta!.Value;
                if (after < 0 && !allowOversell)
                {
                    rejected.Add(new RejectedChange(change.Line, change.Sku, "delta", StatusCodes.Status409Conflict,
                        $"adjusting SKU '{change.Sku}' by {change.Delta} would leave {after} available (now {available}); the stock policy does not allow oversell"));
                    continue;
                }

                data = StockJson.Write(change.Sku, after, warehouse);
            }
            else
            {
                data = change.Canonical;
            }

            // Later lines of the batch see earlier ones.
            head[change.Sku] = data;
            accepted.Add((change, ++lastSeq, data));
        }

        rejected.Sort((a, b) => a.Line.CompareTo(b.Line));
        if (accepted.Count == 0)
        {
            // Nothing happened, so nothing is stored: a retry with the same key is judged afresh.
            return new ChangeBatchOutcome.Answered(new ChangeBatchAnswer(dataset.Name, null, lines, 0, rejected.Count, null, null, [], rejected));
        }

        var now = time.GetUtcNow();
        var batch = await connection.ScalarAsync<long>("SELECT nextval('change_batches_id_seq')", cancellationToken);
        var answer = new ChangeBatchAnswer(dataset.Name, batch, lines, accepted.Count, rejected.Count, accepted[0].Seq, accepted[^1].Seq,
            [.. accepted.Select(a => new AcceptedChange(a.Change.Line, a.Change.Sku, a.Seq))], rejected);
        await connection.ExecuteAsync(
            """
            INSERT INTO change_batches (id, dataset_id, idempotency_key, body_sha256, accepted_at, accepted_by, answer)
            VALUES (@id, @dataset, @key, @sha, @now, @actor, @answer::jsonb)
            """, cancellationToken, ("id", batch), ("dataset", dataset.Id), ("key", idempotencyKey), ("sha", bodySha256), ("now", now),
            ("actor", actor), ("answer", JsonSerializer.Serialize(answer, Json)));
        await using (var importer = await connection.BeginBinaryImportAsync(
            "COPY changes (dataset_id, seq, sku, op, delta, data, batch_id, accepted_at) FROM STDIN (FORMAT BINARY)", cancellationToken))
        {
            foreach (var (change, seq, data) in accepted)
            {
                await importer.StartRowAsync(cancellationToken);
                await importer.WriteAsync(dataset.Id, NpgsqlDbType.Smallint, cancellationToken);
                await importer.WriteAsync(seq, NpgsqlDbType.Bigint, cancellationToken);
                await importer.WriteAsync(change.Sku, NpgsqlDbType.Text, cancellationToken);
                await importer.WriteAsync(change.Op.ToString().ToLowerInvariant(), NpgsqlDbType.Text, cancellationToken);
                await WriteNullableAsync(importer, change.Delta, NpgsqlDbType.Bigint, cancellationToken);
                await WriteNullableAsync(importer, data, NpgsqlDbType.Text, cancellationToken);
                await importer.WriteAsync(batch, NpgsqlDbType.Bigint, cancellationToken);
                await importer.WriteAsync(now, NpgsqlDbType.TimestampTz, cancellationToken);
            }

            await importer.CompleteAsync(cancellationToken);
        }

        await connection.ExecuteAsync("UPDATE change_streams SET last_seq = @last WHERE dataset_id = @dataset", cancellationToken,
            ("last", lastSeq), ("dataset", dataset.Id));
        await audit.AppendAsync(connection, transaction, new AuditEntry(actor, LiveChangesApi.AuditKindChanges, Target: $"{dataset.Name}:batch:{batch}",
            After: new { answer.Accepted, answer.Rejected, answer.FirstSeq, answer.LastSeq, IdempotencyKey = idempotencyKey }), cancellationToken);
        await ChangeSignal.NotifyAsync(connection, dataset.Name, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        LogAccepted(dataset.Name, batch, accepted.Count, rejected.Count, answer.FirstSeq!.Value, answer.LastSeq!.Value);
        return new ChangeBatchOutcome.Answered(answer);
    }

    private static async Task<(string BodySha256, ChangeBatchAnswer Answer)?> StoredAnswerAsync(
        NpgsqlConnection connection, DatasetDefinition dataset, string actor, string key, CancellationToken cancellationToken)
    {
        await using var command = connection.Command(
            "SELECT body_sha256, answer::text FROM change_batches WHERE dataset_id = @dataset AND accepted_by = @actor AND idempotency_key = @key",
            ("dataset", dataset.Id), ("actor", actor), ("key", key));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken)
            ? (reader.GetString(0), JsonSerializer.Deserialize<ChangeBatchAnswer>(reader.GetString(1), Json)!)
            : null;
    }

    /// <summary>The SKUs' records in the dataset's head: the newest live change after the latest version, else the version's record.</summary>
    private static async Task<Dictionary<string, string?>> HeadAsync(
        NpgsqlConnection connection, DatasetDefinition dataset, string[] skus, CancellationToken cancellationToken)
    {
        var head = new Dictionary<string, string?>(StringComparer.Ordinal);
        if (skus.Length == 0)
        {
            return head;
        }

        await using var command = connection.Command(
            $"""
            WITH latest AS (SELECT coalesce(max(change_watermark), 0) AS watermark FROM dataset_versions
                            WHERE dataset_id = @dataset AND version = (SELECT max(version) FROM dataset_versions WHERE dataset_id = @dataset))
            SELECT s.sku, coalesce(c.data, CASE WHEN c.seq IS NULL THEN r.data END) FROM unnest(@skus) AS s(sku)
            LEFT JOIN LATERAL (SELECT seq, data FROM changes WHERE dataset_id = @dataset AND sku = s.sku AND seq > (SELECT watermark FROM latest)
                               ORDER BY seq DESC LIMIT 1) c ON true
            LEFT JOIN {ImportService.Partition(dataset)} r ON r.dataset_id = @dataset AND r.sku = s.sku AND r.to_version IS NULL
            """, ("dataset", dataset.Id), ("skus", skus));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            head[reader.GetString(0)] = reader.GetNullableString(1);
        }

        return head;
    }

    private static Task WriteNullableAsync<T>(NpgsqlBinaryImporter importer, T? value, NpgsqlDbType type, CancellationToken cancellationToken) =>
        value is null ? importer.WriteNullAsync(cancellationToken) : importer.WriteAsync(value, type, cancellationToken);

    [LoggerMessage(Level = LogLevel.Information,
        Message = "Accepted change batch {Batch} of {Dataset}: {Accepted} changes (seq {FirstSeq}..{LastSeq}), {Rejected} lines refused")]
    private partial void LogAccepted(string dataset, long batch, int accepted, int rejected, long firstSeq, long lastSeq);
}

/// <summary>The stock record in canonical form (README, "Canonical form"), as an adjustment reads and rewrites it.</summary>
internal static class StockJson
{
    public static (long Available, string? Warehouse) Read(string canonical)
    {
        using var document = JsonDocument.Parse(canonical);
        var root = document.RootElement;
        return (root.GetProperty("available").GetInt64(),
            root.TryGetProperty("warehouse", out var warehouse) ? warehouse.GetString() : null);
    }

    public static string Write(string sku, long available, string? warehouse)
    {
        var b = new StringBuilder(64).Append("{\"available\":").Append(available.ToString(System.Globalization.CultureInfo.InvariantCulture));
        b.Append(",\"sku\":");
        CanonicalJson.WriteString(b, sku);
        if (warehouse is not null)
        {
            b.Append(",\"warehouse\":");
            CanonicalJson.WriteString(b, warehouse);
        }

        return b.Append('}').ToString();
    }
}
