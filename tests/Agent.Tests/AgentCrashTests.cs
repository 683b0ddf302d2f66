using Agent.Tests.Support;
using ControlPlane.Contracts;
using static Agent.Tests.Support.Versions;

namespace Agent.Tests;

/// <summary>The agent as a process, killed with SIGKILL at a bad moment: the next one goes on from what Redis holds (I5).</summary>
public sealed class AgentCrashTests
{
    [Fact]
    public async Task An_agent_killed_mid_layer_is_resumed_by_the_next_one_where_it_stopped()
    {
        await using var env = await TestEnvironment.CreateAsync();
        var model = new ControlPlaneModel { ChunkSize = 2, ChangesDelay = TimeSpan.FromMilliseconds(100) };
        var price1 = Enumerable.Range(1, 30).ToDictionary(i => Sku(i), i => Price(Sku(i), i));
        model.AddVersion("price", 1, price1);
        model.Releases[1] = new Dictionary<string, int> { ["price"] = 1 };
        model.Desire([1], new SwitchOrder(1, 1));
        await using var server = await FakeControlPlane.StartAsync(model.HandleAsync);

        using (var first = AgentProcess.Start(server.Address, env.Name, "agent-1", chunkSize: 2))
        {
            await EventuallyAsync(async () => (await env.Store.GetStagingAsync())?.Cursor is not null, "the first agent is mid-layer");
            first.Kill();
        }

        var stopped = await env.Store.GetStagingAsync();
        Assert.NotNull(stopped);
        var chunksBefore = server.Requests.Count(IsLayerChunk);

        using var second = AgentProcess.Start(server.Address, env.Name, "agent-1", chunkSize: 2);
        await EventuallyAsync(async () => (await env.Reader.GetAsync(Sku(30)))?["price"] == price1[Sku(30)], "release 1 live");
        var layer = Assert.Single(await env.Store.ListLayersAsync());
        Assert.Equal((stopped.Layer, 30L), (layer.Layer, layer.Records));
        // The second agent fetched only the chunks after the cursor, not the version again.
        var chunksAfter = server.Requests.Count(IsLayerChunk) - chunksBefore;
        Assert.True(chunksAfter < 15, $"{chunksAfter} chunks fetched after the restart");
        Assert.Contains(server.Requests, r => r.Request.Contains("after=" + stopped.Cursor, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Agents_killed_at_random_moments_still_end_with_verified_layers_and_the_right_release_live()
    {
        await using var env = await TestEnvironment.CreateAsync();
        var model = new ControlPlaneModel { ChunkSize = 2, ChangesDelay = TimeSpan.FromMilliseconds(20) };
        var price1 = Enumerable.Range(1, 40).ToDictionary(i => Sku(i), i => Price(Sku(i), i));
        var price2 = Enumerable.Range(5, 40).ToDictionary(i => Sku(i), i => Price(Sku(i), i % 4 == 0 ? i + 0.25m : i));
        var stock1 = Enumerable.Range(1, 40).ToDictionary(i => Sku(i), i => Stock(Sku(i), i));
        model.AddVersion("price", 1, price1);
        model.AddVersion("price", 2, price2);
        model.AddVersion("stock", 1, stock1);
        model.Releases[1] = new Dictionary<string, int> { ["price"] = 1, ["stock"] = 1 };
        model.Releases[2] = new Dictionary<string, int> { ["price"] = 2, ["stock"] = 1 };
        model.Desire([2, 1], new SwitchOrder(2, 1));
        await using var server = await FakeControlPlane.StartAsync(model.HandleAsync);

        var random = new Random(42);
        for (var life = 0; life < 12 && await env.Store.GetPointerAsync() is null; life++)
        {
            using var agent = AgentProcess.Start(server.Address, env.Name, "agent-1", chunkSize: 2);
            await Task.Delay(random.Next(400, 1500));
            agent.Kill();
        }

        using var last = AgentProcess.Start(server.Address, env.Name, "agent-1", chunkSize: 2);
        await EventuallyAsync(async () => (await env.Store.GetPointerAsync())?.Release == 2 && await env.Store.GetStagingAsync() is null, "release 2 live");
        var skus = Enumerable.Range(1, 45).Select(Sku).ToList();
        var rows = await env.Reader.GetManyAsync(skus);
        Assert.Equal(skus.Select(s => price2.GetValueOrDefault(s)), rows!.Select(r => r["price"]));
        Assert.Equal(skus.Select(s => stock1.GetValueOrDefault(s)), rows!.Select(r => r["stock"]));
        // Release 1 is held too, verified: its price layer reads as version 1.
        var layers = await env.Store.ListLayersAsync();
        var price1Layer = Assert.Single(layers, l => l.Dataset == "price" && l.Version == 1);
        Assert.Equal(skus.Select(s => price1.GetValueOrDefault(s)), await env.Store.ReadAtAsync("price", price1Layer.Layer, skus));
        Assert.Equal(3, layers.Count);
    }

    private static async Task EventuallyAsync(Func<Task<bool>> condition, string what)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"timed out waiting for: {what}");
            await Task.Delay(20);
        }
    }

    // Layer chunks come from the version's changes endpoint; the agents' live change feed (/agents/{id}/changes) is not one.
    private static bool IsLayerChunk((string Request, string? Authorization) request) =>
        request.Request.Contains("/versions/", StringComparison.Ordinal) && request.Request.Contains("/changes", StringComparison.Ordinal);
}
