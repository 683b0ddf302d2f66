using System.Runtime.ExceptionServices;
using System.Threading.Channels;
using Npgsql;
using NpgsqlTypes;

namespace ControlPlane.Datasets;

/// <summary>
/// Streams a full snapshot from the request body into a binary COPY in two stages that run in parallel:
/// one thread parses and validates lines, the other hashes records and encodes them for PostgreSQL.
/// Once a problem is found nothing more is written, but reading goes on so every problem is reported.
/// </summary>
internal sealed class SnapshotPipeline(RecordReader reader, RecordRules rules, ImportErrors errors, long? expectedBytes)
{
    private const int BatchSize = 1024;

    // A bounded queue keeps memory flat when PostgreSQL is slower than parsing.
    private const int QueuedBatches = 16;

    // Lines in practice are 40 to 200 bytes; sizing the SKU index up front avoids rehashing a million entries.
    private const int AssumedBytesPerLine = 64;

    public long LastLine { get; private set; }

    /// <summary>Runs the pipeline; the caller completes or cancels the importer depending on <see cref="ImportErrors"/>.</summary>
    public async Task<ContentHash> RunAsync(NpgsqlBinaryImporter importer, short? datasetId, int? version, CancellationToken cancellationToken)
    {
        var channel = Channel.CreateBounded<Batch>(new BoundedChannelOptions(QueuedBatches) { SingleReader = true, SingleWriter = true });
        using var failed = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var consumer = Task.Run(() => ConsumeAsync(channel.Reader, importer, datasetId, version, failed), CancellationToken.None);
        try
        {
            await ProduceAsync(channel.Writer, failed.Token);
            channel.Writer.Complete();
        }
        catch (Exception exception)
        {
            channel.Writer.TryComplete(exception);
            await failed.CancelAsync();
            Exception? consumerFailure = null;
            try
            {
                await consumer;
            }
            catch (Exception failure) when (failure is not OperationCanceledException)
            {
                consumerFailure = failure;
            }
            catch (OperationCanceledException)
            {
                // The consumer stopped because the producer failed; the producer's failure is the one to report.
            }

            // The producer saw only a cancellation when the consumer (PostgreSQL) failed first: report that cause.
            if (exception is OperationCanceledException && consumerFailure is not null && !cancellationToken.IsCancellationRequested)
            {
                ExceptionDispatchInfo.Throw(consumerFailure);
            }

            throw;
        }

        return await consumer;
    }

    private async Task ProduceAsync(ChannelWriter<Batch> writer, CancellationToken cancellationToken)
    {
        var capacity = (int)Math.Clamp((expectedBytes ?? 0) / AssumedBytesPerLine, 1024, 32_000_000);
        var firstLineOfSku = new Dictionary<string, long>(capacity, StringComparer.Ordinal);
        var fields = new RecordFields();
        var batch = new Batch();
        while (await reader.ReadAsync(fields, errors, cancellationToken))
        {
            LastLine = reader.Line;
            var canonical = rules.ValidateRecord(fields, reader.Line, errors);
            if (rules.LastSkuValid && !firstLineOfSku.TryAdd(fields.Sku!, reader.Line))
            {
                errors.Add(reader.Line, "sku", $"duplicate SKU '{fields.Sku}' (first on line {firstLineOfSku[fields.Sku!]})");
                continue;
            }

            if (canonical is null || errors.Any)
            {
                continue;
            }

            batch.Skus[batch.Count] = fields.Sku!;
            batch.Records[batch.Count++] = canonical;
            if (batch.Count == BatchSize)
            {
                await writer.WriteAsync(batch, cancellationToken);
                batch = new Batch();
            }
        }

        LastLine = Math.Max(LastLine, reader.Line);
        if (batch.Count > 0 && !errors.Any)
        {
            await writer.WriteAsync(batch, cancellationToken);
        }
    }

    private static async Task<ContentHash> ConsumeAsync(
        ChannelReader<Batch> batches, NpgsqlBinaryImporter importer, short? datasetId, int? version, CancellationTokenSource failed)
    {
        var hash = new ContentHash();
        try
        {
            await foreach (var batch in batches.ReadAllAsync(failed.Token))
            {
                for (var i = 0; i < batch.Count; i++)
                {
                    await importer.StartRowAsync(failed.Token);
                    if (datasetId is { } id)
                    {
                        await importer.WriteAsync(id, NpgsqlDbType.Smallint, failed.Token);
                    }

                    await importer.WriteAsync(batch.Skus[i], NpgsqlDbType.Text, failed.Token);
                    if (version is { } number)
                    {
                        await importer.WriteAsync(number, NpgsqlDbType.Integer, failed.Token);
                    }

                    await importer.WriteAsync(batch.Records[i], NpgsqlDbType.Text, failed.Token);
                    hash.Add(batch.Records[i]);
                }
            }

            return hash;
        }
        catch (Exception exception) when (exception is not OperationCanceledException)
        {
            // Stop the producer too: it would otherwise wait forever for room in the queue.
            await failed.CancelAsync();
            throw;
        }
    }

    private sealed class Batch
    {
        public readonly string[] Skus = new string[BatchSize];
        public readonly string[] Records = new string[BatchSize];
        public int Count;
    }
}
