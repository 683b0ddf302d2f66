using Agent.Tests.Support;
using ControlPlane.Contracts;
using static Agent.Tests.Support.Versions;

namespace Agent.Tests;

public sealed class SwitchTests
{
    [Fact]
    public async Task The_switch_only_moves_to_a_higher_generation()
    {
        await using var env = await TestEnvironment.CreateAsync();
        var v1 = Enumerable.Range(1, 5).ToDictionary(i => Sku(i), i => Price(Sku(i), i));
        var v2 = Enumerable.Range(1, 5).ToDictionary(i => Sku(i), i => Price(Sku(i), i * 10));
        var l1 = await StageAsync(env.Store, "price", 1, v1);
        var l2 = await StageAsync(env.Store, "price", 2, v2, l1, v1);

        Assert.Equal(5, await env.Store.SwitchAsync(Live(11, 5, ("price", l1))));
        // A stale order (lower generation) and a repeated one (equal) change nothing.
        Assert.Equal(5, await env.Store.SwitchAsync(Live(12, 3, ("price", l2))));
        Assert.Equal(5, await env.Store.SwitchAsync(Live(12, 5, ("price", l2))));
        var live = await env.Store.GetPointerAsync();
        Assert.Equal((11L, 5L, 1), (live!.Release, live.Generation, live.Layers["price"]));
        Assert.Equal(v1[Sku(2)], (await env.Reader.GetAsync(Sku(2)))!["price"]);

        Assert.Equal(6, await env.Store.SwitchAsync(Live(12, 6, ("price", l2))));
        Assert.Equal((12L, 6L), ((await env.Reader.GetAsync(Sku(2)))!.ReleaseId, (await env.Store.GetPointerAsync())!.Generation));
        Assert.Equal(v2[Sku(2)], (await env.Reader.GetAsync(Sku(2)))!["price"]);
    }

    [Fact]
    public async Task The_switch_refuses_a_layer_that_is_not_complete()
    {
        await using var env = await TestEnvironment.CreateAsync();
        var v1 = Enumerable.Range(1, 5).ToDictionary(i => Sku(i), i => Price(Sku(i), i));
        var staging = await env.Store.BeginAsync("price", 1, null);
        await env.Store.ApplyChunkAsync(staging, Changes(null, v1));
        var incomplete = new LayerInfo("price", staging.Layer, 1, null, 5, "", "");

        await Assert.ThrowsAnyAsync<Exception>(() => env.Store.SwitchAsync(Live(1, 1, ("price", incomplete))));
        Assert.Null(await env.Store.GetPointerAsync());
    }
}
