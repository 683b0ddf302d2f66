using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Options;

namespace ControlPlane.Tiers;

/// <summary>A chunk decoded and verified: SKUs in order and their canonical records.</summary>
public sealed record DecodedChunk(string[] Skus, string[] Data);

/// <summary>
/// Reads archives back from the cold store. Every chunk is checked against the manifest (size and SHA-256 of the
/// stored bytes, then size, count and order of the decoded lines) before any of it is used.
/// </summary>
public sealed class ColdArchive(IColdStore store, IOptions<TierOptions> options)
{
    private readonly ConcurrentDictionary<(string, int), ArchiveManifest> _manifests = new();
    private readonly LinkedList<(string Key, DecodedChunk Chunk)> _recent = new();
    private readonly Lock _recentLock = new();

    public IColdStore Store => store;

    public async Task<ArchiveManifest> ManifestAsync(string dataset, int version, CancellationToken cancellationToken)
    {
        if (_manifests.TryGetValue((dataset, version), out var cached))
        {
            return cached;
        }

        var key = ArchiveFormat.ManifestKey(dataset, version);
        var bytes = await store.GetAsync(key, cancellationToken)
            ?? throw new ColdArchiveException(dataset, version, null, key, "is missing");
        ArchiveManifest? manifest;
        try
        {
            manifest = JsonSerializer.Deserialize<ArchiveManifest>(bytes, ArchiveFormat.Json);
        }
        catch (JsonException exception)
        {
            throw new ColdArchiveException(dataset, version, null, key, "is not a readable manifest: " + exception.Message);
        }

        if (manifest is null || manifest.Format != ArchiveFormat.Version || manifest.Dataset != dataset || manifest.Version != version
            || manifest.Chunks is null || manifest.Chunks.Count == 0 && manifest.Records != 0)
        {
            throw new ColdArchiveException(dataset, version, null, key, "does not describe this version in a known format");
        }

        return _manifests.GetOrAdd((dataset, version), manifest);
    }

    /// <summary>Checks every chunk's size and SHA-256 without decoding; throws naming the first damaged chunk.</summary>
    public async Task VerifyChecksumsAsync(ArchiveManifest manifest, CancellationToken cancellationToken)
    {
        foreach (var chunk in manifest.Chunks)
        {
            await FetchAsync(manifest, chunk, cancellationToken);
        }
    }

    public async Task<DecodedChunk> ChunkAsync(ArchiveManifest manifest, int index, CancellationToken cancellationToken, bool useCache = true)
    {
        var chunk = manifest.Chunks[index];
        var cacheKey = $"{manifest.Dataset}/{manifest.Version}/{index}/{chunk.Sha256}";
        lock (_recentLock)
        {
            for (var node = useCache ? _recent.First : null; node is not null; node = node.Next)
            {
                if (node.Value.Key == cacheKey)
                {
                    _recent.Remove(node);
                    _recent.AddFirst(node);
                    return node.Value.Chunk;
                }
            }
        }

        var stored = await FetchAsync(manifest, chunk, cancellationToken);
        var decoded = Decode(manifest, chunk, stored);
        var capacity = options.Value.ChunkCache;
        if (useCache && capacity > 0)
        {
            lock (_recentLock)
            {
                _recent.AddFirst((cacheKey, decoded));
                while (_recent.Count > capacity)
                {
                    _recent.RemoveLast();
                }
            }
        }

        return decoded;
    }

    /// <summary>The version's records with a SKU after <paramref name="after"/>, in SKU order.</summary>
    public async IAsyncEnumerable<(string Sku, string Data)> ReadAsync(
        ArchiveManifest manifest, string? after, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        after ??= "";
        for (var index = FirstChunkAfter(manifest, after); index < manifest.Chunks.Count; index++)
        {
            var chunk = await ChunkAsync(manifest, index, cancellationToken);
            var start = UpperBound(chunk.Skus, after);
            for (var i = start; i < chunk.Skus.Length; i++)
            {
                yield return (chunk.Skus[i], chunk.Data[i]);
            }
        }
    }

    public async Task<string?> FindAsync(ArchiveManifest manifest, string sku, CancellationToken cancellationToken)
    {
        var order = SkuOrder.Instance;
        for (var index = 0; index < manifest.Chunks.Count; index++)
        {
            var meta = manifest.Chunks[index];
            if (order.Compare(sku, meta.FirstSku) < 0 || order.Compare(sku, meta.LastSku) > 0)
            {
                continue;
            }

            var chunk = await ChunkAsync(manifest, index, cancellationToken);
            var at = Array.BinarySearch(chunk.Skus, sku, order);
            return at >= 0 ? chunk.Data[at] : null;
        }

        return null;
    }

    public void Forget(string dataset, int version) => _manifests.TryRemove((dataset, version), out _);

    /// <summary>Drops every cached manifest and chunk (a store emptied by hand, tests).</summary>
    public void ForgetAll()
    {
        _manifests.Clear();
        lock (_recentLock)
        {
            _recent.Clear();
        }
    }

    private static int FirstChunkAfter(ArchiveManifest manifest, string after)
    {
        // The first chunk whose last SKU sorts after `after`.
        int low = 0, high = manifest.Chunks.Count;
        while (low < high)
        {
            var middle = (low + high) / 2;
            if (SkuOrder.Instance.Compare(manifest.Chunks[middle].LastSku, after) > 0)
            {
                high = middle;
            }
            else
            {
                low = middle + 1;
            }
        }

        return low;
    }

    private static int UpperBound(string[] skus, string after)
    {
        if (after.Length == 0)
        {
            return 0;
        }

        var at = Array.BinarySearch(skus, after, SkuOrder.Instance);
        return at >= 0 ? at + 1 : ~at;
    }

    private async Task<byte[]> FetchAsync(ArchiveManifest manifest, ArchiveChunk chunk, CancellationToken cancellationToken)
    {
        var stored = await store.GetAsync(chunk.Key, cancellationToken)
            ?? throw new ColdArchiveException(manifest.Dataset, manifest.Version, chunk.Index, chunk.Key, "is missing");
        if (stored.LongLength != chunk.StoredBytes)
        {
            throw new ColdArchiveException(manifest.Dataset, manifest.Version, chunk.Index, chunk.Key,
                $"has {stored.LongLength} bytes where the manifest says {chunk.StoredBytes}");
        }

        var sha = Convert.ToHexStringLower(SHA256.HashData(stored));
        if (sha != chunk.Sha256)
        {
            throw new ColdArchiveException(manifest.Dataset, manifest.Version, chunk.Index, chunk.Key,
                $"fails its checksum (SHA-256 {sha}, manifest {chunk.Sha256})");
        }

        return stored;
    }

    private static DecodedChunk Decode(ArchiveManifest manifest, ArchiveChunk chunk, byte[] stored)
    {
        byte[] raw;
        try
        {
            raw = ArchiveFormat.Decompress(stored, manifest.Compression, chunk.RawBytes);
        }
        catch (InvalidDataException exception)
        {
            throw new ColdArchiveException(manifest.Dataset, manifest.Version, chunk.Index, chunk.Key, "does not decompress: " + exception.Message);
        }

        if (raw.LongLength != chunk.RawBytes)
        {
            throw new ColdArchiveException(manifest.Dataset, manifest.Version, chunk.Index, chunk.Key,
                $"decodes to {raw.LongLength} bytes where the manifest says {chunk.RawBytes}");
        }

        var skus = new string[chunk.Records];
        var data = new string[chunk.Records];
        var count = 0;
        var span = raw.AsSpan();
        while (span.Length > 0)
        {
            var end = span.IndexOf((byte)'\n');
            var tab = span.IndexOf((byte)'\t');
            if (end < 0 || tab < 1 || tab > end || count >= skus.Length)
            {
                throw new ColdArchiveException(manifest.Dataset, manifest.Version, chunk.Index, chunk.Key, $"has a malformed line {count + 1}");
            }

            skus[count] = Encoding.UTF8.GetString(span[..tab]);
            data[count] = Encoding.UTF8.GetString(span[(tab + 1)..end]);
            if (count > 0 && SkuOrder.Instance.Compare(skus[count - 1], skus[count]) >= 0)
            {
                throw new ColdArchiveException(manifest.Dataset, manifest.Version, chunk.Index, chunk.Key, $"is out of SKU order at line {count + 1}");
            }

            count++;
            span = span[(end + 1)..];
        }

        if (count != chunk.Records)
        {
            throw new ColdArchiveException(manifest.Dataset, manifest.Version, chunk.Index, chunk.Key,
                $"holds {count} records where the manifest says {chunk.Records}");
        }

        return new DecodedChunk(skus, data);
    }
}
