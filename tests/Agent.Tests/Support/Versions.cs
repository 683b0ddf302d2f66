using System.Globalization;
using Agent.Redis;
using ControlPlane.Contracts;

namespace Agent.Tests.Support;

/// <summary>Dataset versions as the tests build them: SKU -> canonical JSON, and the layers that hold them.</summary>
public static class Versions
{
    public static string Price(string sku, decimal amount) =>
        $"{{\"amount\":{amount.ToString(CultureInfo.InvariantCulture)},\"currency\":\"CNY\",\"sku\":\"{sku}\"}}";

    public static string Stock(string sku, long available) => $"{{\"available\":{available},\"sku\":\"{sku}\"}}";

    public static string Sku(int i) => $"SKU-{i:D7}";

    /// <summary>The manifest entry of a version: its count and content hash, computed the README's way.</summary>
    public static DatasetVersionRef Ref(int version, IReadOnlyDictionary<string, string> records)
    {
        var hash = new ContentHash();
        foreach (var record in records.Values)
        {
            hash.Add(record);
        }

        return new DatasetVersionRef(version, hash.Count, hash.Value());
    }

    /// <summary>What the changes endpoint serves: every record of <paramref name="to"/> when <paramref name="from"/> is null, else the difference.</summary>
    public static List<ChangeLine> Changes(IReadOnlyDictionary<string, string>? from, IReadOnlyDictionary<string, string> to)
    {
        var lines = new List<ChangeLine>();
        foreach (var (sku, data) in to)
        {
            if (from is null || !from.TryGetValue(sku, out var before) || before != data)
            {
                lines.Add(new ChangeLine(sku, data, false));
            }
        }

        if (from is not null)
        {
            lines.AddRange(from.Keys.Where(sku => !to.ContainsKey(sku)).Select(sku => new ChangeLine(sku, null, true)));
        }

        lines.Sort((a, b) => string.CompareOrdinal(a.Sku, b.Sku));
        return lines;
    }

    /// <summary>Writes a version as a layer in chunks, as the agent does, and completes it against its true count and hash.</summary>
    public static async Task<LayerInfo> StageAsync(
        LayerStore store, string dataset, int version, IReadOnlyDictionary<string, string> records,
        LayerInfo? baseLayer = null, IReadOnlyDictionary<string, string>? baseRecords = null, int chunkSize = 7)
    {
        var staging = await store.BeginAsync(dataset, version, baseLayer);
        foreach (var chunk in Changes(baseRecords, records).Chunk(chunkSize))
        {
            staging = await store.ApplyChunkAsync(staging, chunk);
        }

        return await store.CompleteAsync(staging, Ref(version, records));
    }

    public static LivePointer Live(long release, long generation, params (string Dataset, LayerInfo Layer)[] layers) => new(
        release,
        generation,
        layers.ToDictionary(l => l.Dataset, l => l.Layer.Layer),
        layers.ToDictionary(l => l.Dataset, l => l.Layer.Version),
        DateTimeOffset.UnixEpoch);
}
