using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using ControlPlane.Tests.Support;
using EndToEnd.Tests.Support;
using Xunit.Abstractions;

namespace EndToEnd.Tests;

/// <summary>
/// Live changes through the real control plane and agents (README, "Live changes"): changes keep flowing while releases
/// are published and rolled back, agents die and Redis restarts, and every agent ends showing exactly the state the test
/// computes on its own, with every change applied once.
/// </summary>
public sealed class LiveChangeTests(ITestOutputHelper output)
{
    private const int Skus = 400;
    private static readonly string[] Changing = ["price", "stock"];

    [Fact]
    public async Task Changes_flowing_through_a_publish_and_a_rollback_end_in_the_independently_computed_state_on_every_agent()
    {
        await using var cluster = await Cluster.StartAsync(output, "live-flow");
        var model = new LiveChangeModel();
        var v1 = await ImportAsync(cluster, model, content: 1);
        var (r1, _) = await cluster.PublishLiveAsync(v1);

        await using (var producer = Producer.Start(cluster, model, seed: 1))
        {
            await Task.Delay(1000);
            // A new price list while changes flow, made live, then rolled back.
            var price2 = (await cluster.Api.ImportAsync("price", Catalogue.Snapshot("price", Skus, content: 2))).Version;
            var (r2, _) = await cluster.PublishLiveAsync(new Dictionary<string, int>(v1) { ["price"] = price2 });
            await Task.Delay(1000);
            await cluster.Api.WaitLiveAsync((await cluster.Api.RollbackAsync(cluster.Environment, r1)).Id);
            await Task.Delay(1000);
            await producer.StopAsync();

            await AssertEveryAgentAsync(cluster, model, r1);

            // Forward again to the release with the new price list: its price version hides the price changes before it.
            await cluster.Api.WaitLiveAsync((await cluster.Api.RollbackAsync(cluster.Environment, r2)).Id);
            await cluster.WaitPointersAsync(r2);
            var expected2 = await AssertEveryAgentAsync(cluster, model, r2);
            var expected1 = model.Expected(await LiveChangeModel.VersionsOfAsync(cluster, r1));
            Assert.NotEqual(expected1["price"].Count(p => expected2["price"].TryGetValue(p.Key, out var q) && JsonNode.DeepEquals(p.Value, q)), expected1["price"].Count);
            Assert.Equal(expected1["stock"].Count, expected2["stock"].Count);
        }
    }

    [Fact]
    public async Task A_release_of_folded_versions_reads_exactly_as_the_versions_and_changes_it_replaces()
    {
        await using var cluster = await Cluster.StartAsync(output, "live-fold");
        var model = new LiveChangeModel();
        var (r1, _) = await cluster.PublishLiveAsync(await ImportAsync(cluster, model, content: 1));
        var random = new Random(5);
        for (var i = 0; i < 10; i++)
        {
            foreach (var dataset in Changing)
            {
                await model.PostAsync(cluster.ControlPlane.Client, dataset, LiveChangeModel.RandomBatch(dataset, random, Skus, 30));
            }
        }

        var before = await AssertEveryAgentAsync(cluster, model, r1);
        var folded = new Dictionary<string, int>((await cluster.Api.ReleaseAsync(r1)).Release.Versions);
        foreach (var dataset in Changing)
        {
            using var response = await cluster.ControlPlane.Client.PostAsync($"api/v1/datasets/{dataset}/changes/fold", null);
            var version = await Http.ReadAsync<JsonObject>(response, HttpStatusCode.Created);
            Assert.Equal("fold", version["kind"]!.GetValue<string>());
            Assert.Equal(model.LastSeq(dataset), version["changeWatermark"]!.GetValue<long>());
            folded[dataset] = version["version"]!.GetValue<int>();
        }

        var (r2, _) = await cluster.PublishLiveAsync(folded);
        await cluster.WaitPointersAsync(r2);
        var after = await AssertEveryAgentAsync(cluster, model, r2);
        foreach (var dataset in before.Keys)
        {
            Assert.Equal(before[dataset].Keys.Order(StringComparer.Ordinal), after[dataset].Keys.Order(StringComparer.Ordinal));
            Assert.All(before[dataset], p => Assert.True(JsonNode.DeepEquals(p.Value, after[dataset][p.Key]), $"{dataset} of {p.Key} changed by folding"));
        }

        // Changes after the fold still show on top of the folded versions.
        await model.PostAsync(cluster.ControlPlane.Client, "stock", LiveChangeModel.RandomBatch("stock", random, Skus, 30));
        await AssertEveryAgentAsync(cluster, model, r2);
    }

    [Fact]
    public async Task A_stalled_agent_lags_in_the_views_while_the_other_applies_every_change_and_it_catches_up_later()
    {
        await using var cluster = await Cluster.StartAsync(output, "live-slow");
        var model = new LiveChangeModel();
        var (r1, _) = await cluster.PublishLiveAsync(await ImportAsync(cluster, model, content: 1));
        var (east, west) = (cluster.Agent("east"), cluster.Agent("west"));
        var random = new Random(11);
        foreach (var dataset in Changing)
        {
            await model.PostAsync(cluster.ControlPlane.Client, dataset, LiveChangeModel.RandomBatch(dataset, random, Skus, 40));
        }

        await LiveChangeModel.WaitAppliedAsync(east, cluster.Environment, "stock", model.LastSeq("stock"));

        // Once east's pulls in flight (one per dataset) have come back empty, its next ones hang: east is stuck.
        east.RunningHost.Transport.HoldFeed();
        await Eventually.UntilAsync(() => east.RunningHost.Transport.HeldFeed == Catalogue.Datasets.Length, "east's feed pulls are held");
        var positions = $"cp:{cluster.Environment}:agent:changes";
        var eastPosition = (long)await east.Redis.Database.HashGetAsync(positions, "stock");
        var eastApplied = (long)await east.Redis.Database.HashGetAsync(positions, "stock:count");
        for (var i = 0; i < 5; i++)
        {
            await model.PostAsync(cluster.ControlPlane.Client, "stock", LiveChangeModel.RandomBatch("stock", random, Skus, 40));
        }

        // West is not held back by east: it applies everything while east's pulls hang.
        Assert.Equal(model.Count("stock"), await LiveChangeModel.WaitAppliedAsync(west, cluster.Environment, "stock", model.LastSeq("stock")));
        Assert.Equal(eastApplied, (long)await east.Redis.Database.HashGetAsync(positions, "stock:count"));

        // The views say who lags, by how much.
        await Eventually.UntilAsync(async () =>
        {
            var stock = await StockPositionsAsync(cluster);
            return stock[west.AgentId].Lag == 0 && stock[east.AgentId] == (eastPosition, model.LastSeq("stock") - eastPosition);
        }, "the environment view shows east lagging and west caught up");

        east.RunningHost.Transport.ReleaseFeed();
        await AssertEveryAgentAsync(cluster, model, r1);
        Assert.Equal(0, (await StockPositionsAsync(cluster))[east.AgentId].Lag);
    }

    private static async Task<Dictionary<string, (long Applied, long Lag)>> StockPositionsAsync(Cluster cluster)
    {
        var view = await cluster.ControlPlane.Client.GetFromJsonAsync<JsonObject>($"api/v1/environments/{cluster.Environment}", Http.Json);
        return view!["groups"]!.AsArray()
            .SelectMany(g => g!["agents"]!.AsArray())
            .ToDictionary(
                a => a!["id"]!.GetValue<string>(),
                a => a!["changes"]!.AsArray().Where(c => c!["dataset"]!.GetValue<string>() == "stock")
                    .Select(c => (c!["appliedSeq"]!.GetValue<long>(), c["lagChanges"]!.GetValue<long>())).Single());
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Every_change_is_applied_exactly_once_when_agents_are_killed_and_Redis_restarts(bool persistentRedis)
    {
        await using var cluster = await Cluster.StartAsync(output, persistentRedis ? "live-aof" : "live-kill", new ClusterOptions { PersistentRedis = persistentRedis });
        var model = new LiveChangeModel();
        var (r1, _) = await cluster.PublishLiveAsync(await ImportAsync(cluster, model, content: 1));
        var (east, west) = (cluster.Agent("east"), cluster.Agent("west"));

        await using (var producer = Producer.Start(cluster, model, seed: 3))
        {
            var random = new Random(3);
            for (var life = 0; life < 3; life++)
            {
                await Task.Delay(random.Next(300, 900));
                await cluster.KillAgentAsync(east);
                await Task.Delay(random.Next(100, 400));
                await cluster.StartAgentAsync(east);
            }

            cluster.Log.Write("test", $"restarting the Redis of {west.AgentId} ({(persistentRedis ? "append-only file" : "no persistence")})");
            await west.Redis.RestartAsync();
            await Task.Delay(1000);
            await producer.StopAsync();
        }

        await cluster.WaitPointersAsync(r1);
        await AssertEveryAgentAsync(cluster, model, r1);
    }

    /// <summary>Full snapshots of every dataset in <paramref name="content"/>, which the model takes as the head.</summary>
    private static async Task<Dictionary<string, int>> ImportAsync(Cluster cluster, LiveChangeModel model, int content)
    {
        foreach (var dataset in Catalogue.Datasets)
        {
            model.Snapshot(dataset, Catalogue.Snapshot(dataset, Skus, content));
        }

        return await cluster.ImportContentAsync(Skus, content);
    }

    /// <summary>
    /// Waits until every agent applied every change, asserts each change counted once in its Redis, and that cp_get answers
    /// the model's state for the release on every SKU. Returns that state.
    /// </summary>
    private static async Task<Dictionary<string, Dictionary<string, JsonObject>>> AssertEveryAgentAsync(Cluster cluster, LiveChangeModel model, long releaseId)
    {
        var expected = model.Expected(await LiveChangeModel.VersionsOfAsync(cluster, releaseId));
        foreach (var agent in cluster.Agents)
        {
            foreach (var dataset in Changing)
            {
                var count = await LiveChangeModel.WaitAppliedAsync(agent, cluster.Environment, dataset, model.LastSeq(dataset));
                Assert.True(count == model.Count(dataset), $"{agent.AgentId} applied {count} {dataset} changes; {model.Count(dataset)} were accepted");
            }

            await LiveChangeModel.AssertReadsAsync(agent, cluster.Environment, releaseId, expected, model.AllSkus());
        }

        return expected;
    }

    /// <summary>Posts random batches of price and stock changes until stopped.</summary>
    private sealed class Producer : IAsyncDisposable
    {
        private readonly CancellationTokenSource _stop = new();
        private Task _running = Task.CompletedTask;

        public static Producer Start(Cluster cluster, LiveChangeModel model, int seed)
        {
            var producer = new Producer();
            var random = new Random(seed);
            producer._running = Task.Run(async () =>
            {
                while (!producer._stop.IsCancellationRequested)
                {
                    foreach (var dataset in Changing)
                    {
                        await model.PostAsync(cluster.ControlPlane.Client, dataset, LiveChangeModel.RandomBatch(dataset, random, Skus, 20));
                    }

                    await Task.Delay(20);
                }
            });
            return producer;
        }

        public async Task StopAsync()
        {
            await _stop.CancelAsync();
            await _running;
        }

        public async ValueTask DisposeAsync()
        {
            await StopAsync();
            _stop.Dispose();
        }
    }
}
