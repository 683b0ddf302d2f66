using System.Globalization;
using Agent.Tests.Support;
using ControlPlane.Contracts;
using static Agent.Tests.Support.Versions;

namespace Agent.Tests;

/// <summary>Dropping layers compacts their members without changing what any retained or live layer reads.</summary>
public sealed class RetentionTests
{
    private const int Skus = 30;

    [Fact]
    public async Task Dropping_the_oldest_layers_keeps_every_read_of_the_retained_ones_and_leaves_no_dead_member()
    {
        await using var env = await TestEnvironment.CreateAsync();
        var (layers, versions) = await HistoryAsync(env, 6);
        await env.Store.SwitchAsync(Live(6, 1, ("price", layers[5])));

        var dropped = await env.Store.RetainAsync([("price", layers[4].Layer), ("price", layers[5].Layer)]);

        Assert.Equal([1, 2, 3, 4], dropped.Select(l => l.Layer));
        Assert.Equal([5, 6], (await env.Store.ListLayersAsync()).Select(l => l.Layer));
        await AssertReadsAsync(env, layers[4].Layer, versions[4]);
        await AssertReadsAsync(env, layers[5].Layer, versions[5]);
        await AssertOnlySeenMembersAsync(env, [5, 6]);
        var keys = await env.DumpAsync();
        Assert.DoesNotContain(keys.Keys, k => k.StartsWith("agent:skus:price:1", StringComparison.Ordinal) || k.StartsWith("agent:retiring", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Dropping_layers_in_the_middle_keeps_the_reads_of_the_layers_around_them()
    {
        await using var env = await TestEnvironment.CreateAsync();
        var (layers, versions) = await HistoryAsync(env, 6);
        // Rolled back: layer 2 is live, layer 6 is held for a roll forward.
        await env.Store.SwitchAsync(Live(2, 9, ("price", layers[1])));

        await env.Store.RetainAsync([("price", layers[5].Layer)]);

        Assert.Equal([2, 6], (await env.Store.ListLayersAsync()).Select(l => l.Layer));
        await AssertReadsAsync(env, 2, versions[1]);
        await AssertReadsAsync(env, 6, versions[5]);
        await AssertOnlySeenMembersAsync(env, [2, 6]);
    }

    [Fact]
    public async Task The_live_layer_is_never_dropped_and_dropped_numbers_are_not_reused()
    {
        await using var env = await TestEnvironment.CreateAsync();
        var (layers, versions) = await HistoryAsync(env, 5);
        await env.Store.SwitchAsync(Live(2, 3, ("price", layers[1])));

        await env.Store.RetainAsync([]);

        Assert.Equal([2], (await env.Store.ListLayersAsync()).Select(l => l.Layer));
        await AssertReadsAsync(env, 2, versions[1]);
        await AssertOnlySeenMembersAsync(env, [2]);

        // The next version goes on top of layer 2; members of the dropped layers 3-5 must not show through.
        var next = versions[1].ToDictionary(p => p.Key, p => p.Value);
        next[Sku(1)] = Price(Sku(1), 4242);
        var layer = await StageAsync(env.Store, "price", 10, next, layers[1], versions[1]);
        Assert.Equal(6, layer.Layer);
        await AssertReadsAsync(env, 6, next);
        await AssertReadsAsync(env, 2, versions[1]);
    }

    [Fact]
    public async Task When_no_layer_of_a_dataset_is_left_none_of_its_members_are_and_a_new_first_layer_reads_only_its_own()
    {
        await using var env = await TestEnvironment.CreateAsync();
        var (layers, versions) = await HistoryAsync(env, 5);
        var stock = Enumerable.Range(1, 3).ToDictionary(i => Sku(i), i => Stock(Sku(i), i));
        var stockLayer = await StageAsync(env.Store, "stock", 1, stock);
        await env.Store.SwitchAsync(Live(1, 1, ("stock", stockLayer)));
        // A drop in the middle first, then price leaves every release.
        await env.Store.RetainAsync([("price", layers[1].Layer), ("price", layers[4].Layer)]);
        await env.Store.RetainAsync([]);

        Assert.DoesNotContain((await env.DumpAsync()).Keys, k => k.StartsWith("price:", StringComparison.Ordinal));
        Assert.Equal([stockLayer], await env.Store.ListLayersAsync());

        var again = new Dictionary<string, string> { [Sku(2)] = Price(Sku(2), 2.5m) };
        var layer = await StageAsync(env.Store, "price", 9, again);
        await AssertReadsAsync(env, layer.Layer, again);
    }

    [Fact]
    public async Task Retention_is_refused_while_a_layer_is_being_written()
    {
        await using var env = await TestEnvironment.CreateAsync();
        var (layers, versions) = await HistoryAsync(env, 2);
        await env.Store.SwitchAsync(Live(2, 1, ("price", layers[1])));
        await env.Store.BeginAsync("price", 3, layers[1]);

        await Assert.ThrowsAnyAsync<Exception>(() => env.Store.RetainAsync([]));
        Assert.Equal(2, (await env.Store.ListLayersAsync()).Count);
        await AssertReadsAsync(env, 1, versions[0]);
    }

    /// <summary>Versions 1..n of price, each a few upserts, deletions and re-additions on the one before, staged as layers 1..n.</summary>
    private static async Task<(List<LayerInfo> Layers, List<Dictionary<string, string>> Versions)> HistoryAsync(TestEnvironment env, int count)
    {
        var random = new Random(count);
        var layers = new List<LayerInfo>();
        var versions = new List<Dictionary<string, string>>();
        Dictionary<string, string>? previous = null;
        for (var v = 1; v <= count; v++)
        {
            var version = previous is null
                ? Enumerable.Range(1, Skus).Where(i => i % 7 != 0).ToDictionary(i => Sku(i), i => Price(Sku(i), i))
                : new Dictionary<string, string>(previous);
            if (previous is not null)
            {
                for (var k = 0; k < 6; k++)
                {
                    var sku = Sku(random.Next(1, Skus + 1));
                    if (random.Next(3) == 0)
                    {
                        version.Remove(sku);
                    }
                    else
                    {
                        version[sku] = Price(sku, decimal.Parse($"{v}.{random.Next(100)}", CultureInfo.InvariantCulture));
                    }
                }
            }

            layers.Add(await StageAsync(env.Store, "price", v, version, layers.LastOrDefault(), previous));
            versions.Add(version);
            previous = version;
        }

        return (layers, versions);
    }

    private static async Task AssertReadsAsync(TestEnvironment env, int layer, IReadOnlyDictionary<string, string> expected)
    {
        var skus = Enumerable.Range(1, Skus).Select(Sku).ToList();
        Assert.Equal(skus.Select(s => expected.GetValueOrDefault(s)), await env.Store.ReadAtAsync("price", layer, skus));
    }

    /// <summary>Every member left is the one some retained layer reads, and no key starts with a tombstone.</summary>
    private static async Task AssertOnlySeenMembersAsync(TestEnvironment env, int[] retained)
    {
        foreach (var (key, value) in await env.DumpAsync())
        {
            if (!key.StartsWith("price:", StringComparison.Ordinal))
            {
                continue;
            }

            var flat = value["zset ".Length..].Split('\n');
            var scores = Enumerable.Range(0, flat.Length / 2).Select(i => int.Parse(flat[(2 * i) + 1], CultureInfo.InvariantCulture)).ToList();
            for (var i = 0; i < scores.Count; i++)
            {
                var next = i + 1 < scores.Count ? scores[i + 1] : int.MaxValue;
                Assert.True(retained.Any(v => v >= scores[i] && v < next), $"{key}: the member of layer {scores[i]} is seen by no retained layer");
            }

            Assert.False(flat[0].EndsWith('|'), $"{key} starts with a tombstone");
        }
    }
}
