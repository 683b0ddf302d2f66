using Agent.Redis;
using Agent.Tests.Support;
using ControlPlane.Contracts;
using static Agent.Tests.Support.Versions;

namespace Agent.Tests;

/// <summary>Layers written through <c>LayerStore</c> and read back through the cp functions, against a real Redis.</summary>
public sealed class LayerStagingTests
{
    [Fact]
    public async Task A_first_layer_holds_every_record_of_its_version()
    {
        await using var env = await TestEnvironment.CreateAsync();
        var v1 = Enumerable.Range(1, 25).ToDictionary(i => Sku(i), i => Price(Sku(i), 10 + i));

        var layer = await StageAsync(env.Store, "price", 1, v1);

        Assert.Equal((1, 1, (int?)null, 25L, Ref(1, v1).ContentHash), (layer.Layer, layer.Version, layer.BaseLayer, layer.Records, layer.ContentHash));
        Assert.Equal([layer], await env.Store.ListLayersAsync());
        Assert.Null(await env.Store.GetStagingAsync());
        Assert.Null(await env.Reader.GetAsync(Sku(1)));

        Assert.Equal(7, await env.Store.SwitchAsync(Live(100, 7, ("price", layer))));
        var rows = await env.Reader.GetManyAsync([Sku(1), Sku(25), "SKU-absent"]);
        Assert.NotNull(rows);
        Assert.All(rows, r => Assert.Equal((100L, 7L), (r.ReleaseId, r.Generation)));
        Assert.Equal([v1[Sku(1)], v1[Sku(25)], null], rows.Select(r => r["price"]));
        Assert.Equal(["price"], rows[0].Datasets.Keys);
    }

    [Fact]
    public async Task An_overlay_layer_upserts_and_deletes_and_leaves_older_layers_as_they_were()
    {
        await using var env = await TestEnvironment.CreateAsync();
        var v1 = Enumerable.Range(1, 30).ToDictionary(i => Sku(i), i => Price(Sku(i), i));
        var stock = Enumerable.Range(1, 30).ToDictionary(i => Sku(i), i => Stock(Sku(i), i * 2));
        var l1 = await StageAsync(env.Store, "price", 1, v1);
        var s1 = await StageAsync(env.Store, "stock", 4, stock);
        await env.Store.SwitchAsync(Live(1, 1, ("price", l1), ("stock", s1)));
        var oldPointer = await env.Reader.GetPointerAsync();

        // v2: three changed, two deleted, two new.
        var v2 = new Dictionary<string, string>(v1);
        foreach (var i in new[] { 3, 10, 30 })
        {
            v2[Sku(i)] = Price(Sku(i), i + 0.5m);
        }

        v2.Remove(Sku(4));
        v2.Remove(Sku(20));
        v2[Sku(31)] = Price(Sku(31), 31);
        v2[Sku(32)] = Price(Sku(32), 32);
        var l2 = await StageAsync(env.Store, "price", 2, v2, l1, v1, chunkSize: 3);

        // Layer numbers count across datasets: stock took 2.
        Assert.Equal((3, (int?)1, 30L, Ref(2, v2).ContentHash), (l2.Layer, l2.BaseLayer, l2.Records, l2.ContentHash));
        // Only the 7 changes were written, not a copy of the version.
        var members = await env.Redis.ExecuteAsync("SCARD", RedisLayout.LayerSkusKey(env.Name, "price", l2.Layer));
        Assert.Equal(7, members.AsInt64());

        var skus = Enumerable.Range(1, 33).Select(Sku).ToList();
        // Written but not switched to: readers still see release 1.
        await AssertReadsAsync(env, skus, 1, v1, stock);
        await env.Store.SwitchAsync(Live(2, 2, ("price", l2), ("stock", s1)));
        await AssertReadsAsync(env, skus, 2, v2, stock);

        // A reader that resolved the old pointer keeps reading the old release (I2).
        var pinned = await env.Reader.GetManyAtAsync(oldPointer!, skus);
        Assert.Equal(skus.Select(s => v1.GetValueOrDefault(s)), pinned.Select(r => r["price"]));
        Assert.All(pinned, r => Assert.Equal(1L, r.ReleaseId));
    }

    [Fact]
    public async Task Verification_rejects_a_wrong_count_or_hash_and_records_nothing()
    {
        await using var env = await TestEnvironment.CreateAsync();
        var v1 = Enumerable.Range(1, 12).ToDictionary(i => Sku(i), i => Price(Sku(i), i));
        var right = Ref(1, v1);
        var staging = await env.Store.BeginAsync("price", 1, null);
        staging = await env.Store.ApplyChunkAsync(staging, Changes(null, v1));

        var wrongHash = right with { ContentHash = Ref(1, new Dictionary<string, string> { ["x"] = "{}" }).ContentHash };
        await Assert.ThrowsAsync<LayerVerificationException>(() => env.Store.CompleteAsync(staging, wrongHash));
        await Assert.ThrowsAsync<LayerVerificationException>(() => env.Store.CompleteAsync(staging, right with { Records = 13 }));
        Assert.Empty(await env.Store.ListLayersAsync());
        Assert.NotNull(await env.Store.GetStagingAsync());

        var layer = await env.Store.CompleteAsync(staging, right);
        Assert.Equal(right.ContentHash, layer.ContentHash);
        Assert.Single(await env.Store.ListLayersAsync());
    }

    [Fact]
    public async Task A_corrupt_base_makes_the_overlay_fail_verification()
    {
        await using var env = await TestEnvironment.CreateAsync();
        var v1 = Enumerable.Range(1, 10).ToDictionary(i => Sku(i), i => Price(Sku(i), i));
        var l1 = await StageAsync(env.Store, "price", 1, v1);
        // Someone changes a base member behind the agent's back.
        await env.Redis.ExecuteAsync("ZADD", RedisLayout.RecordKey(env.Name, "price", Sku(2)), "1", "1|{\"tampered\":true}");
        await env.Redis.ExecuteAsync("ZREM", RedisLayout.RecordKey(env.Name, "price", Sku(2)), "1|" + v1[Sku(2)]);
        var v2 = new Dictionary<string, string>(v1) { [Sku(2)] = Price(Sku(2), 99) };

        await Assert.ThrowsAsync<LayerVerificationException>(() => StageAsync(env.Store, "price", 2, v2, l1, v1));
    }

    [Fact]
    public async Task Resuming_after_a_crash_mid_layer_gives_what_an_uninterrupted_run_gives()
    {
        await using var crashed = await TestEnvironment.CreateAsync();
        await using var straight = await TestEnvironment.CreateAsync();
        var v1 = Enumerable.Range(1, 40).ToDictionary(i => Sku(i), i => Price(Sku(i), i));
        var v2 = Enumerable.Range(5, 40).ToDictionary(i => Sku(i), i => Price(Sku(i), i % 3 == 0 ? i * 2 : i));
        var changes = Changes(v1, v2).Chunk(4).ToList();

        var b1 = await StageAsync(straight.Store, "price", 1, v1);
        await StageAsync(straight.Store, "price", 2, v2, b1, v1, chunkSize: 4);

        var c1 = await StageAsync(crashed.Store, "price", 1, v1);
        var first = await crashed.Store.BeginAsync("price", 2, c1);
        first = await crashed.Store.ApplyChunkAsync(first, changes[0]);
        await crashed.Store.ApplyChunkAsync(first, changes[1]);

        // A new process: the staging hash says where to go on.
        var store = crashed.NewStore();
        var resumed = await store.BeginAsync("price", 2, c1);
        Assert.Equal((first.Layer, changes[1][^1].Sku), (resumed.Layer, resumed.Cursor));
        foreach (var chunk in changes.Skip(2))
        {
            resumed = await store.ApplyChunkAsync(resumed, chunk);
        }

        var layer = await store.CompleteAsync(resumed, Ref(2, v2));
        Assert.Equal(Ref(2, v2).ContentHash, layer.ContentHash);
        Assert.Equal(await straight.DumpAsync(), await crashed.DumpAsync());
    }

    [Fact]
    public async Task Applying_the_same_chunk_twice_changes_nothing()
    {
        await using var env = await TestEnvironment.CreateAsync();
        var v1 = Enumerable.Range(1, 20).ToDictionary(i => Sku(i), i => Price(Sku(i), i));
        var v2 = new Dictionary<string, string>(v1) { [Sku(3)] = Price(Sku(3), 333), [Sku(21)] = Price(Sku(21), 21) };
        v2.Remove(Sku(7));
        var l1 = await StageAsync(env.Store, "price", 1, v1);
        var changes = Changes(v1, v2);
        var before = await env.Store.BeginAsync("price", 2, l1);

        var after = await env.Store.ApplyChunkAsync(before, changes[..2]);
        var once = await env.DumpAsync();
        // The reply of the first call was lost: the same call again, from the same state.
        Assert.Equal(after, await env.Store.ApplyChunkAsync(before, changes[..2]));
        Assert.Equal(once, await env.DumpAsync());

        after = await env.Store.ApplyChunkAsync(after, changes[2..]);
        var layer = await env.Store.CompleteAsync(after, Ref(2, v2));
        Assert.Equal(Ref(2, v2).ContentHash, layer.ContentHash);
    }

    [Fact]
    public async Task A_chunk_that_does_not_start_at_the_cursor_is_refused()
    {
        await using var env = await TestEnvironment.CreateAsync();
        var v1 = Enumerable.Range(1, 10).ToDictionary(i => Sku(i), i => Price(Sku(i), i));
        var changes = Changes(null, v1);
        var staging = await env.Store.BeginAsync("price", 1, null);
        await env.Store.ApplyChunkAsync(staging, changes[..3]);

        // A stale copy of the state that skips a chunk must not be written.
        await Assert.ThrowsAnyAsync<Exception>(() => env.Store.ApplyChunkAsync(staging, changes[3..6]));
    }

    [Fact]
    public async Task An_abandoned_layer_leaves_nothing_a_later_layer_could_see_and_its_number_is_not_reused()
    {
        await using var env = await TestEnvironment.CreateAsync();
        var v1 = Enumerable.Range(1, 10).ToDictionary(i => Sku(i), i => Price(Sku(i), i));
        var l1 = await StageAsync(env.Store, "price", 1, v1);
        var v2 = v1.ToDictionary(p => p.Key, p => Price(p.Key, 1000));
        var partial = await env.Store.BeginAsync("price", 2, l1);
        partial = await env.Store.ApplyChunkAsync(partial, Changes(v1, v2)[..5]);

        // Something else is wanted now.
        await Assert.ThrowsAsync<StagingBusyException>(() => env.Store.BeginAsync("price", 3, l1));
        await env.Store.AbandonAsync(partial);
        Assert.Null(await env.Store.GetStagingAsync());

        var v3 = new Dictionary<string, string>(v1) { [Sku(9)] = Price(Sku(9), 9.9m) };
        var l3 = await StageAsync(env.Store, "price", 3, v3, l1, v1);
        Assert.Equal(partial.Layer + 1, l3.Layer);
        Assert.Equal(v1.Keys.Order(StringComparer.Ordinal).Select(s => v3[s]), await env.Store.ReadAtAsync("price", l3.Layer, [.. v1.Keys.Order(StringComparer.Ordinal)]));
    }

    private static async Task AssertReadsAsync(
        TestEnvironment env, IReadOnlyList<string> skus, long release, IReadOnlyDictionary<string, string> price, IReadOnlyDictionary<string, string> stock)
    {
        var rows = await env.Reader.GetManyAsync(skus);
        Assert.NotNull(rows);
        Assert.Equal(skus, rows.Select(r => r.Sku));
        Assert.All(rows, r => Assert.Equal(release, r.ReleaseId));
        Assert.Equal(skus.Select(s => price.GetValueOrDefault(s)), rows.Select(r => r["price"]));
        Assert.Equal(skus.Select(s => stock.GetValueOrDefault(s)), rows.Select(r => r["stock"]));
    }
}
