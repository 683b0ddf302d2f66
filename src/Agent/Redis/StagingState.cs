using System.Globalization;
using ControlPlane.Contracts;

namespace Agent.Redis;

/// <summary>
/// The layer being written, as its staging hash holds it: <see cref="Cursor"/> is the last SKU written (null before
/// the first chunk), <see cref="HashSum"/> and <see cref="Count"/> the running content hash state of the layer's view.
/// </summary>
public sealed record StagingState(string Dataset, int Layer, int Version, int? BaseLayer, string? Cursor, string HashSum, long Count, bool Abandoning)
{
    public ContentHash Hash() => ContentHash.FromState(Convert.FromHexString(HashSum), Count);

    internal static StagingState FromHash(IReadOnlyList<RedisReplyPair> fields)
    {
        var map = fields.ToDictionary(f => f.Name, f => f.Value, StringComparer.Ordinal);
        return new StagingState(
            map["dataset"],
            int.Parse(map["layer"], CultureInfo.InvariantCulture),
            int.Parse(map["version"], CultureInfo.InvariantCulture),
            map["base"] is { Length: > 0 } b ? int.Parse(b, CultureInfo.InvariantCulture) : null,
            map["cursor"] is { Length: > 0 } c ? c : null,
            map["sum"],
            long.Parse(map["count"], CultureInfo.InvariantCulture),
            map.GetValueOrDefault("state") == "abandoning");
    }
}

internal readonly record struct RedisReplyPair(string Name, string Value);
