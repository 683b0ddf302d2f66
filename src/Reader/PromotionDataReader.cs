using ControlPlane.Contracts;

namespace ControlPlane.Reader;

/// <summary>
/// Reads price, stock and product of SKUs from an environment's hot tier through the <c>cp</c> function
/// library, one round trip per batch, all values from the one release the pointer named at that moment.
/// </summary>
/// <remarks>
/// <para>A reader in any language does the same with plain commands (RESP2 or RESP3):</para>
/// <code>
/// FCALL_RO cp_get 1 cp:{env}:live SKU-1 SKU-2         (FCALL on a primary; FCALL_RO also on replicas)
/// -> nil when nothing is live, else
///    1) (integer) release id   2) (integer) generation   3) dataset names, sorted: ["price","product","stock"]
///    4) per SKU in argument order, one value per dataset in the order of 3): canonical JSON, or nil = absent
/// </code>
/// <para>Without the library (e.g. Redis before 7), resolve the pointer once per request and read each record at
/// its dataset's layer:</para>
/// <code>
/// GET cp:{env}:live                                   -> {"release":42,"generation":7,"layers":{"price":4,...},...}
/// ZREVRANGEBYSCORE cp:{env}:price:{SKU-1} 4 -inf LIMIT 0 1   -> "4|{...}" (drop up to the first '|';
///                                                       an empty rest, or no member, means absent)
/// </code>
/// <para>Members of a layer are written before any pointer names it and never change afterwards, so reading
/// several keys at the resolved layers without a transaction still sees exactly one release. To keep one release
/// across several calls, read the pointer once and pass it to <c>FCALL_RO cp_get_at 1 cp:{env}:live POINTER SKU...</c>
/// (<see cref="GetManyAtAsync"/>); the agent keeps the layers of recent releases, not every old one.</para>
/// </remarks>
public sealed class PromotionDataReader(IRedisClient redis, string environment)
{
    private readonly string _liveKey = RedisLayout.LiveKey(environment);

    /// <summary>Loads the <c>cp</c> library into this Redis (the agent does this at start).</summary>
    public Task LoadFunctionsAsync() => ReaderLibrary.LoadAsync(redis);

    /// <summary>The SKU in the live release, or null when nothing is live.</summary>
    public async Task<PromotionData?> GetAsync(string sku) => (await GetManyAsync([sku]))?[0];

    /// <summary>The SKUs in the live release, in the order asked, or null when nothing is live.</summary>
    public async Task<IReadOnlyList<PromotionData>?> GetManyAsync(IReadOnlyList<string> skus)
    {
        var reply = await redis.ExecuteAsync("FCALL_RO", ["cp_get", "1", _liveKey, .. skus]);
        return Parse(reply, skus);
    }

    /// <summary>The raw live pointer (JSON), or null when nothing is live; pass it to <see cref="GetManyAtAsync"/>.</summary>
    public async Task<string?> GetPointerAsync() => (await redis.ExecuteAsync("GET", _liveKey)).AsString();

    /// <summary>The SKUs as of a pointer read earlier with <see cref="GetPointerAsync"/>.</summary>
    public async Task<IReadOnlyList<PromotionData>> GetManyAtAsync(string pointerJson, IReadOnlyList<string> skus)
    {
        var reply = await redis.ExecuteAsync("FCALL_RO", ["cp_get_at", "1", _liveKey, pointerJson, .. skus]);
        return Parse(reply, skus) ?? throw new InvalidOperationException("cp_get_at answered nil.");
    }

    private static List<PromotionData>? Parse(RedisReply reply, IReadOnlyList<string> skus)
    {
        if (reply.IsNull)
        {
            return null;
        }

        var parts = reply.AsArray();
        var release = parts[0].AsInt64();
        var generation = parts[1].AsInt64();
        var datasets = parts[2].AsArray().Select(d => d.AsString()!).ToArray();
        var rows = parts[3].AsArray();
        var result = new List<PromotionData>(rows.Count);
        for (var i = 0; i < rows.Count; i++)
        {
            var values = rows[i].AsArray();
            var byDataset = new Dictionary<string, string?>(datasets.Length, StringComparer.Ordinal);
            for (var j = 0; j < datasets.Length; j++)
            {
                byDataset[datasets[j]] = values[j].AsString();
            }

            result.Add(new PromotionData(skus[i], release, generation, byDataset));
        }

        return result;
    }
}
