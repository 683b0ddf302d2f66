using System.Buffers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace ControlPlane.Tiers;

/// <summary>
/// Writes one version's archive: chunks of records in SKU order, each compressed and checksummed, then the
/// manifest last. An archive without its manifest does not exist for readers, so a crash mid-way leaves nothing usable
/// and nothing wrong (docs/cold-format.md).
/// </summary>
public sealed class ArchiveWriter(IColdStore store, string compression, int chunkRecords)
{
    public async Task<ArchiveManifest> WriteAsync(
        string dataset, int version, long expectedRecords, string contentHash, IAsyncEnumerable<(string Sku, string Data)> records,
        Func<int, long, long, Task> progress, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var chunks = new List<ArchiveChunk>();
        var buffer = new ArrayBufferWriter<byte>(chunkRecords * 128);
        long written = 0, rawBytes = 0, storedBytes = 0;
        var inChunk = 0;
        string? first = null, last = null;

        async Task FlushAsync()
        {
            var index = chunks.Count;
            var key = ArchiveFormat.ChunkKey(dataset, version, index, compression);
            var stored = ArchiveFormat.Compress(buffer.WrittenSpan, compression);
            await store.PutAsync(key, stored, cancellationToken);
            chunks.Add(new ArchiveChunk(index, key, inChunk, first!, last!, buffer.WrittenCount, stored.Length, Convert.ToHexStringLower(SHA256.HashData(stored))));
            rawBytes += buffer.WrittenCount;
            storedBytes += stored.Length;
            buffer.ResetWrittenCount();
            inChunk = 0;
            first = null;
            await progress(chunks.Count, written, storedBytes);
        }

        await foreach (var (sku, data) in records.WithCancellation(cancellationToken))
        {
            first ??= sku;
            last = sku;
            Encoding.UTF8.GetBytes(sku, buffer);
            buffer.Write("\t"u8);
            Encoding.UTF8.GetBytes(data, buffer);
            buffer.Write("\n"u8);
            inChunk++;
            written++;
            if (inChunk == chunkRecords)
            {
                await FlushAsync();
            }
        }

        if (inChunk > 0)
        {
            await FlushAsync();
        }

        if (written != expectedRecords)
        {
            throw new InvalidOperationException($"{dataset} version {version} read {written} records where it has {expectedRecords}; nothing was archived.");
        }

        var manifest = new ArchiveManifest(ArchiveFormat.Version, dataset, version, written, contentHash, compression, ArchiveFormat.LineFormat,
            rawBytes, storedBytes, chunks, now);
        await store.PutAsync(ArchiveFormat.ManifestKey(dataset, version), JsonSerializer.SerializeToUtf8Bytes(manifest, ArchiveFormat.Json), cancellationToken);
        return manifest;
    }
}
