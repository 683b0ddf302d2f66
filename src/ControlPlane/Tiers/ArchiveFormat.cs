using System.IO.Compression;
using System.Text.Json;

namespace ControlPlane.Tiers;

/// <summary>The manifest of one version's archive, written after its chunks (docs/cold-format.md).</summary>
public sealed record ArchiveManifest(
    int Format,
    string Dataset,
    int Version,
    long Records,
    string ContentHash,
    string Compression,
    string LineFormat,
    long RawBytes,
    long StoredBytes,
    IReadOnlyList<ArchiveChunk> Chunks,
    DateTimeOffset CreatedAt);

/// <summary>One chunk: records sorted by SKU, <see cref="FirstSku"/> to <see cref="LastSku"/>; the SHA-256 is of the stored (compressed) bytes.</summary>
public sealed record ArchiveChunk(int Index, string Key, long Records, string FirstSku, string LastSku, long RawBytes, long StoredBytes, string Sha256);

public static class ArchiveFormat
{
    public const int Version = 1;

    /// <summary>Each line: the SKU, a tab, the record's canonical JSON, a line feed (SKUs hold no control characters).</summary>
    public const string LineFormat = "sku-tab-canonical-json";

    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    public static string Prefix(string dataset, int version) => $"{dataset}/{version:D10}/";

    public static string ManifestKey(string dataset, int version) => Prefix(dataset, version) + "manifest.json";

    public static string ChunkKey(string dataset, int version, int index, string compression) =>
        $"{Prefix(dataset, version)}chunk-{index:D6}.tsv.{Extension(compression)}";

    public static string Extension(string compression) => compression switch
    {
        "gzip" => "gz",
        "brotli" => "br",
        _ => throw new ArgumentException($"Unknown compression '{compression}'.", nameof(compression)),
    };

    public static byte[] Compress(ReadOnlySpan<byte> raw, string compression)
    {
        using var output = new MemoryStream(raw.Length / 5 + 64);
        using (Stream encoder = compression switch
        {
            "gzip" => new GZipStream(output, CompressionLevel.Optimal, leaveOpen: true),
            "brotli" => new BrotliStream(output, new BrotliCompressionOptions { Quality = 5 }, leaveOpen: true),
            _ => throw new ArgumentException($"Unknown compression '{compression}'.", nameof(compression)),
        })
        {
            encoder.Write(raw);
        }

        return output.ToArray();
    }

    public static byte[] Decompress(byte[] stored, string compression, long rawBytes)
    {
        using var input = new MemoryStream(stored, writable: false);
        using Stream decoder = compression switch
        {
            "gzip" => new GZipStream(input, CompressionMode.Decompress),
            "brotli" => new BrotliStream(input, CompressionMode.Decompress),
            _ => throw new ArgumentException($"Unknown compression '{compression}'.", nameof(compression)),
        };
        using var output = new MemoryStream(rawBytes is > 0 and < int.MaxValue ? (int)rawBytes : 0);
        decoder.CopyTo(output);
        return output.ToArray();
    }
}
