using System.Globalization;
using ControlPlane.Contracts;
using ControlPlane.Reader;

namespace Agent.Redis;

/// <summary>
/// The live changes in the agent's Redis (README, "Live changes"): one key per dataset and SKU holding its newest change,
/// shared by every layer, so the live release and every staged release see a change the moment it is written; the pointer's
/// watermark decides whether a release shows it. Each page is one Lua script that also moves the applied position (I5).
/// </summary>
public sealed class ChangeStore(IRedisClient redis, string environment)
{
    private readonly string _applied = AgentKeys.AppliedChanges(environment);

    /// <summary>The last sequence number of the dataset's log applied here (0: none).</summary>
    public async Task<long> AppliedAsync(string dataset) =>
        long.TryParse((await redis.ExecuteAsync("HGET", _applied, dataset)).AsString(), NumberStyles.None, CultureInfo.InvariantCulture, out var seq) ? seq : 0;

    /// <summary>How many changes of the dataset were applied here in all (each page counts its changes once).</summary>
    public async Task<long> AppliedCountAsync(string dataset) =>
        long.TryParse((await redis.ExecuteAsync("HGET", _applied, dataset + ":count")).AsString(), NumberStyles.None, CultureInfo.InvariantCulture, out var count) ? count : 0;

    /// <summary>
    /// Applies a page of changes (in sequence order, all after <paramref name="after"/>). Returns false when the page was
    /// applied already; throws when the stored position is another one (the caller reads it again and pulls from there).
    /// </summary>
    public async Task<bool> ApplyAsync(string dataset, long after, IReadOnlyList<LiveChange> changes)
    {
        if (changes.Count == 0)
        {
            return false;
        }

        // Only the newest change of a SKU is kept, so a page writes each SKU once.
        var newest = new Dictionary<string, LiveChange>(StringComparer.Ordinal);
        foreach (var change in changes)
        {
            newest[change.Sku] = change;
        }

        var keys = new List<string>(newest.Count + 1) { _applied };
        var args = new List<string>(newest.Count + 4) { dataset, Text(after), Text(changes[^1].Seq), Text(changes.Count) };
        foreach (var (sku, change) in newest)
        {
            keys.Add(RedisLayout.ChangeKey(environment, dataset, sku));
            args.Add(RedisLayout.ChangeValue(change.Seq, change.Data));
        }

        return (await redis.EvalAsync(ChangeScripts.Apply, keys, args)).AsInt64() == 1;
    }

    private static string Text(long value) => value.ToString(CultureInfo.InvariantCulture);
}

/// <summary>The Lua script of <see cref="ChangeStore"/> (Redis/Scripts/apply_changes.lua, embedded).</summary>
internal static class ChangeScripts
{
    public static readonly string Apply = Load("apply_changes");

    private static string Load(string name)
    {
        using var stream = typeof(ChangeScripts).Assembly.GetManifestResourceStream($"Agent.Scripts.{name}.lua")
            ?? throw new InvalidOperationException($"The embedded script {name}.lua is missing.");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }
}
