namespace ControlPlane.Contracts;

/// <summary>
/// The Redis key layout agents write and readers read (README, "Redis key layout"; docs/publish.md).
/// Keys of one environment share the prefix <c>cp:{env}:</c>. Data keys carry the SKU as a hash tag so
/// that all datasets of one SKU live in one Redis Cluster slot.
/// </summary>
public static class RedisLayout
{
    /// <summary>The live pointer: JSON of <see cref="LivePointer"/>.</summary>
    public static string LiveKey(string environment) => $"cp:{environment}:live";

    /// <summary>Sorted set of one SKU in one dataset: members "L|json" (or "L|" for a deletion) scored by layer L.</summary>
    public static string RecordKey(string environment, string dataset, string sku) => $"cp:{environment}:{dataset}:{{{sku}}}";

    /// <summary>Hash of complete layers: field "dataset:L", value JSON of <see cref="LayerInfo"/>.</summary>
    public static string LayersKey(string environment) => $"cp:{environment}:agent:layers";

    /// <summary>Hash describing the layer being written (resumable staging).</summary>
    public static string StagingKey(string environment) => $"cp:{environment}:agent:staging";

    /// <summary>Set of the SKUs a layer wrote; used to compact layers that fall out of retention in O(k).</summary>
    public static string LayerSkusKey(string environment, string dataset, int layer) => $"cp:{environment}:agent:skus:{dataset}:{layer}";

    /// <summary>
    /// STRING: the newest live change of one SKU in one dataset, "SEQ|json" (or "SEQ|" for a deletion). A reader at a
    /// pointer whose watermark for the dataset is below SEQ sees it instead of the layer's record (README, "Live changes").
    /// </summary>
    public static string ChangeKey(string environment, string dataset, string sku) => $"cp:{environment}:chg:{dataset}:{{{sku}}}";

    /// <summary>The value stored in a <see cref="ChangeKey"/> for a change (a deletion when <paramref name="canonicalJson"/> is null).</summary>
    public static string ChangeValue(long seq, string? canonicalJson) => $"{seq.ToString(System.Globalization.CultureInfo.InvariantCulture)}|{canonicalJson}";

    /// <summary>The member stored for a record (or deletion, when <paramref name="canonicalJson"/> is null) in layer L.</summary>
    public static string Member(int layer, string? canonicalJson) => $"{layer}|{canonicalJson}";

    /// <summary>The record of a member, or null for a deletion.</summary>
    public static string? RecordOf(string member)
    {
        var bar = member.IndexOf('|', StringComparison.Ordinal);
        return bar < 0 || bar == member.Length - 1 ? null : member[(bar + 1)..];
    }
}

/// <summary>
/// The value of the live pointer. <see cref="Watermarks"/> holds, per dataset, the change watermark of the version live:
/// readers show a SKU's newest live change when its sequence number is above it. A pointer without watermarks shows no
/// live changes.
/// </summary>
public sealed record LivePointer(
    long Release,
    long Generation,
    IReadOnlyDictionary<string, int> Layers,
    IReadOnlyDictionary<string, int> Versions,
    DateTimeOffset SwitchedAt,
    IReadOnlyDictionary<string, long>? Watermarks = null);

/// <summary>A complete layer in an agent's Redis.</summary>
public sealed record LayerInfo(string Dataset, int Layer, int Version, int? BaseLayer, long Records, string ContentHash, string HashSum);
