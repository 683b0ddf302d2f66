using System.Globalization;
using System.Text.Json;
using ControlPlane.Contracts;
using ControlPlane.Reader;

namespace Agent.Redis;

/// <summary>
/// Everything the agent does in its Redis (docs/publish.md): layers of dataset versions written chunk by chunk and
/// verified against the manifest's count and content hash, the compare-and-set switch of the live pointer, and
/// retention. Every write is one Lua script, so each step is atomic and can be repeated after a crash (I5).
/// </summary>
public sealed class LayerStore(IRedisClient redis, string environment)
{
    private const int BatchSize = 500;
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    private readonly string _staging = RedisLayout.StagingKey(environment);
    private readonly string _layers = RedisLayout.LayersKey(environment);
    private readonly string _live = RedisLayout.LiveKey(environment);
    private readonly string _retiring = AgentKeys.Retiring(environment);
    private readonly string _sequence = AgentKeys.LayerSequence(environment);

    public string Environment => environment;

    /// <summary>The complete (verified) layers, by dataset and layer number.</summary>
    public async Task<IReadOnlyList<LayerInfo>> ListLayersAsync()
    {
        var flat = (await redis.ExecuteAsync("HGETALL", _layers)).AsArray();
        var layers = new List<LayerInfo>(flat.Count / 2);
        for (var i = 1; i < flat.Count; i += 2)
        {
            layers.Add(JsonSerializer.Deserialize<LayerInfo>(flat[i].AsString()!, Json)!);
        }

        return [.. layers.OrderBy(l => l.Dataset, StringComparer.Ordinal).ThenBy(l => l.Layer)];
    }

    /// <summary>The layer being written, or null.</summary>
    public async Task<StagingState?> GetStagingAsync()
    {
        var fields = Pairs((await redis.ExecuteAsync("HGETALL", _staging)).AsArray());
        return fields.Count == 0 ? null : StagingState.FromHash(fields);
    }

    public async Task<LivePointer?> GetPointerAsync()
    {
        var json = (await redis.ExecuteAsync("GET", _live)).AsString();
        return json is null ? null : JsonSerializer.Deserialize<LivePointer>(json, Json);
    }

    /// <summary>
    /// Begins a layer of <paramref name="dataset"/> at <paramref name="version"/> on top of <paramref name="baseLayer"/>
    /// (null: a first layer holding every record), or resumes it when that very layer is being written already.
    /// Throws <see cref="StagingBusyException"/> when another layer is being written, or retired layers are still
    /// being compacted (<see cref="FinishRetirementAsync"/>).
    /// </summary>
    public async Task<StagingState> BeginAsync(string dataset, int version, LayerInfo? baseLayer)
    {
        if (baseLayer is not null && baseLayer.Dataset != dataset)
        {
            throw new ArgumentException("The base layer belongs to another dataset.", nameof(baseLayer));
        }

        var reply = (await redis.EvalAsync(
            LayerScripts.Begin,
            [_staging, _layers, _sequence, _retiring],
            [
                dataset, Text(version), baseLayer is null ? "" : Text(baseLayer.Layer),
                baseLayer?.HashSum ?? Convert.ToHexStringLower(new byte[32]), Text(baseLayer?.Records ?? 0),
            ])).AsArray();
        var status = reply[0].AsString();
        var fields = Pairs(reply[1].AsArray());
        return status switch
        {
            "begun" or "resumed" => StagingState.FromHash(fields),
            "busy" => throw new StagingBusyException($"Layer {StagingState.FromHash(fields).Layer} is being written; finish or abandon it first."),
            _ => throw new StagingBusyException("Retired layers are still being compacted; finish that first."),
        };
    }

    /// <summary>
    /// Applies one chunk of change lines (sorted by SKU, starting after <see cref="StagingState.Cursor"/>) to the layer.
    /// The running hash subtracts what each SKU was in the base layer and adds what it becomes. Repeating the call
    /// with the same chunk changes nothing. The cursor moves to <paramref name="nextAfter"/> (the server's
    /// X-Next-After) or, without it, to the chunk's last SKU.
    /// </summary>
    public async Task<StagingState> ApplyChunkAsync(StagingState staging, IReadOnlyList<ChangeLine> lines, string? nextAfter = null)
    {
        if (lines.Count == 0)
        {
            return staging;
        }

        var hash = staging.Hash();
        if (staging.BaseLayer is { } baseLayer)
        {
            foreach (var previous in await ReadAtAsync(staging.Dataset, baseLayer, lines.Select(l => l.Sku).ToList()))
            {
                if (previous is not null)
                {
                    hash.Remove(previous);
                }
            }
        }

        var keys = new List<string>(lines.Count + 2) { _staging, RedisLayout.LayerSkusKey(environment, staging.Dataset, staging.Layer) };
        var args = new string[5 + (2 * lines.Count)];
        for (var i = 0; i < lines.Count; i++)
        {
            var line = lines[i];
            if (!line.Deleted)
            {
                hash.Add(line.Data ?? throw new ArgumentException($"Line {i} is neither data nor a deletion.", nameof(lines)));
            }

            keys.Add(RedisLayout.RecordKey(environment, staging.Dataset, line.Sku));
            args[5 + i] = RedisLayout.Member(staging.Layer, line.Deleted ? null : line.Data);
            args[5 + lines.Count + i] = line.Sku;
        }

        var next = staging with { Cursor = nextAfter ?? lines[^1].Sku, HashSum = Convert.ToHexStringLower(hash.Sum()), Count = hash.Count };
        args[0] = Text(staging.Layer);
        args[1] = staging.Cursor ?? "";
        args[2] = next.Cursor!;
        args[3] = next.HashSum;
        args[4] = Text(next.Count);
        await redis.EvalAsync(LayerScripts.ApplyChunk, keys, args);
        return next;
    }

    /// <summary>
    /// Verifies the written layer against the manifest's record count and content hash and, when both match, records
    /// it as complete and ends staging in one step. On a mismatch nothing is recorded and
    /// <see cref="LayerVerificationException"/> is thrown; the caller abandons the layer.
    /// </summary>
    public async Task<LayerInfo> CompleteAsync(StagingState staging, DatasetVersionRef expected)
    {
        // The stored state, not the caller's copy: that is what a resumed agent would verify too.
        var stored = await GetStagingAsync();
        var field = AgentKeys.LayerField(staging.Dataset, staging.Layer);
        if (stored is null)
        {
            // Completed before a crash took the reply.
            return (await ListLayersAsync()).FirstOrDefault(l => l.Dataset == staging.Dataset && l.Layer == staging.Layer)
                ?? throw new InvalidOperationException($"Layer {field} is neither being written nor complete.");
        }

        if (stored.Layer != staging.Layer)
        {
            throw new InvalidOperationException($"Layer {stored.Layer} is being written, not {staging.Layer}.");
        }

        var actual = stored.Hash().Value();
        if (stored.Count != expected.Records || actual != expected.ContentHash)
        {
            throw new LayerVerificationException(staging.Dataset, staging.Version, staging.Layer, expected.Records, expected.ContentHash, stored.Count, actual);
        }

        var info = new LayerInfo(stored.Dataset, stored.Layer, stored.Version, stored.BaseLayer, stored.Count, actual, stored.HashSum);
        await redis.EvalAsync(LayerScripts.Complete, [_staging, _layers],
            [Text(stored.Layer), field, JsonSerializer.Serialize(info, Json), stored.HashSum, Text(stored.Count)]);
        return info;
    }

    /// <summary>Removes an incomplete layer's members in batches and ends staging; resumable after a crash.</summary>
    public async Task AbandonAsync(StagingState staging)
    {
        var keys = new[] { _staging, RedisLayout.LayerSkusKey(environment, staging.Dataset, staging.Layer) };
        var args = new[] { Text(staging.Layer), AgentKeys.RecordPrefix(environment, staging.Dataset), Text(BatchSize) };
        while ((await redis.EvalAsync(LayerScripts.Abandon, keys, args)).AsInt64() != 0)
        {
        }
    }

    /// <summary>
    /// Points readers at <paramref name="live"/> if the stored generation is lower than its generation; a lower or
    /// equal order is a no-op. Returns the generation stored afterwards.
    /// </summary>
    /// <summary>Keeps the armed switch in Redis beside the data it names, for a restart before its time.</summary>
    public async Task SaveArmedAsync(ArmedOrder? armed)
    {
        if (armed is null)
        {
            await redis.ExecuteAsync("DEL", AgentKeys.Armed(environment));
        }
        else
        {
            await redis.ExecuteAsync("SET", AgentKeys.Armed(environment), JsonSerializer.Serialize(armed, Json));
        }
    }

    public async Task<ArmedOrder?> LoadArmedAsync()
    {
        var json = (await redis.ExecuteAsync("GET", AgentKeys.Armed(environment))).AsString();
        return json is null ? null : JsonSerializer.Deserialize<ArmedOrder>(json, Json);
    }

    public async Task<long> SwitchAsync(LivePointer live) =>
        (await redis.EvalAsync(LayerScripts.Switch, [_live, _layers], [Text(live.Generation), JsonSerializer.Serialize(live, Json)])).AsInt64();

    /// <summary>
    /// Keeps the layers in <paramref name="keep"/> (and the live ones, always) and drops every other complete layer:
    /// they move to the retiring hash and their members that no retained layer can see are removed.
    /// Returns the dropped layers. Refused while a layer is being written.
    /// </summary>
    public async Task<IReadOnlyList<LayerInfo>> RetainAsync(IEnumerable<(string Dataset, int Layer)> keep)
    {
        var kept = keep.ToHashSet();
        if (await GetPointerAsync() is { } live)
        {
            kept.UnionWith(live.Layers.Select(l => (l.Key, l.Value)));
        }

        var dropped = (await ListLayersAsync()).Where(l => !kept.Contains((l.Dataset, l.Layer))).ToList();
        if (dropped.Count > 0)
        {
            await redis.EvalAsync(LayerScripts.Retire, [_layers, _retiring, _live, _staging], [.. dropped.Select(l => AgentKeys.LayerField(l.Dataset, l.Layer))]);
        }

        await FinishRetirementAsync();
        return dropped;
    }

    /// <summary>
    /// Compacts the members of retiring layers and forgets them. Runs to the end again after a crash; compaction of a
    /// key is idempotent and never removes a member that a complete or live layer reads.
    /// </summary>
    public async Task FinishRetirementAsync()
    {
        var flat = (await redis.ExecuteAsync("HGETALL", _retiring)).AsArray();
        var retiring = new List<LayerInfo>();
        for (var i = 1; i < flat.Count; i += 2)
        {
            retiring.Add(JsonSerializer.Deserialize<LayerInfo>(flat[i].AsString()!, Json)!);
        }

        if (retiring.Count == 0)
        {
            return;
        }

        var layers = await ListLayersAsync();
        foreach (var group in retiring.GroupBy(l => l.Dataset, StringComparer.Ordinal))
        {
            var dataset = group.Key;
            foreach (var layer in group)
            {
                await CompactSetAsync(dataset, layer.Layer);
            }

            // Members kept only for a dropped layer that did not change them sit in the SKU sets of the layers
            // above; those below the lowest retained layer are now dead, and that layer's set finds them.
            var retained = layers.Where(l => l.Dataset == dataset).Select(l => l.Layer).ToList();
            if (retained.Count > 0 && group.Any(l => l.Layer < retained.Min()))
            {
                await CompactSetAsync(dataset, retained.Min());
            }
            else if (retained.Count == 0)
            {
                // No layer of the dataset is left. Members that outlived drops in the middle of a chain are in no SKU
                // set; a later first layer of the dataset would see them, so every key of the dataset is swept (rare).
                await CompactAllAsync(dataset);
            }

            foreach (var layer in group)
            {
                await redis.EvalAsync(LayerScripts.FinishRetire,
                    [_retiring, RedisLayout.LayerSkusKey(environment, dataset, layer.Layer)], [AgentKeys.LayerField(dataset, layer.Layer)]);
            }
        }
    }

    /// <summary>What the SKUs are in one layer of a dataset (null: absent), read as readers do.</summary>
    public async Task<IReadOnlyList<string?>> ReadAtAsync(string dataset, int layer, IReadOnlyList<string> skus)
    {
        var keys = skus.Select(s => RedisLayout.RecordKey(environment, dataset, s)).ToList();
        var members = (await redis.EvalAsync(LayerScripts.ReadBase, keys, [Text(layer)])).AsArray();
        return [.. members.Select(m => m.AsString() is { } member ? RedisLayout.RecordOf(member) : null)];
    }

    private async Task CompactSetAsync(string dataset, int layer)
    {
        var set = RedisLayout.LayerSkusKey(environment, dataset, layer);
        var prefix = AgentKeys.RecordPrefix(environment, dataset);
        var cursor = "0";
        do
        {
            var page = (await redis.ExecuteAsync("SSCAN", set, cursor, "COUNT", Text(BatchSize))).AsArray();
            cursor = page[0].AsString()!;
            var skus = page[1].AsArray();
            if (skus.Count > 0)
            {
                await redis.EvalAsync(LayerScripts.Compact, [_layers, _live, _staging], [prefix, dataset, .. skus.Select(s => s.AsString()!)]);
            }
        }
        while (cursor != "0");
    }

    private async Task CompactAllAsync(string dataset)
    {
        var prefix = AgentKeys.RecordPrefix(environment, dataset);
        var pattern = GlobEscape(prefix) + "{*";
        var cursor = "0";
        do
        {
            var page = (await redis.ExecuteAsync("SCAN", cursor, "MATCH", pattern, "COUNT", Text(BatchSize * 2))).AsArray();
            cursor = page[0].AsString()!;
            var skus = page[1].AsArray().Select(k => k.AsString()!).Where(k => k.EndsWith('}')).Select(k => k[(prefix.Length + 1)..^1]).ToList();
            if (skus.Count > 0)
            {
                await redis.EvalAsync(LayerScripts.Compact, [_layers, _live, _staging], [prefix, dataset, .. skus]);
            }
        }
        while (cursor != "0");
    }

    private static string GlobEscape(string text)
    {
        var escaped = new System.Text.StringBuilder(text.Length);
        foreach (var c in text)
        {
            if (c is '*' or '?' or '[' or ']' or '\\')
            {
                escaped.Append('\\');
            }

            escaped.Append(c);
        }

        return escaped.ToString();
    }

    private static List<RedisReplyPair> Pairs(IReadOnlyList<RedisReply> flat)
    {
        var pairs = new List<RedisReplyPair>(flat.Count / 2);
        for (var i = 1; i < flat.Count; i += 2)
        {
            pairs.Add(new RedisReplyPair(flat[i - 1].AsString()!, flat[i].AsString()!));
        }

        return pairs;
    }

    private static string Text(long value) => value.ToString(CultureInfo.InvariantCulture);
}

/// <summary>A switch the agent holds until <see cref="SwitchAt"/> by its own clock: the pointer (<see cref="Live"/>) to write then.</summary>
public sealed record ArmedOrder(DateTimeOffset SwitchAt, LivePointer Live);
