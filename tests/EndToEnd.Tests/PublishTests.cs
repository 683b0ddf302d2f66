using ControlPlane.Contracts;
using EndToEnd.Tests.Support;
using Xunit.Abstractions;

namespace EndToEnd.Tests;

/// <summary>Publishing through the real control plane to real agents and Redis, read back as a storefront reads.</summary>
public sealed class PublishTests(ITestOutputHelper output)
{
    private const int Skus = 3000;

    [Fact]
    public async Task A_published_release_goes_live_on_every_agent_and_reads_equal_its_versions()
    {
        await using var cluster = await Cluster.StartAsync(output, "publish");
        var versions = await cluster.ImportContentAsync(Skus, content: 1, odd: true);

        var release = await cluster.Api.CreateReleaseAsync(cluster.Environment, versions, "first");
        var started = await cluster.Api.PublishAsync(release);
        Assert.Equal("Staging", started.State);
        Assert.Equal(cluster.Agents.Select(a => a.AgentId).Order(), started.Agents.Select(a => a.AgentId).Order());

        var live = await cluster.Api.WaitLiveAsync(started.Id);
        Assert.All(live.Agents, a => Assert.Equal("Switched", a.Phase));
        var view = await cluster.Api.EnvironmentAsync(cluster.Environment);
        Assert.Equal(release, view.LiveRelease?.Id);

        var expected = await cluster.ExpectedAsync(release);
        Assert.All(expected.Records.Values, records => Assert.Equal(Skus + Catalogue.OddSkus.Length, records.Count));
        foreach (var agent in cluster.Agents)
        {
            var pointer = await agent.PointerAsync(cluster.Environment);
            Assert.NotNull(pointer);
            Assert.Equal(release, pointer.Release);
            Assert.Equal(live.Generation, pointer.Generation);
            Assert.Equal(versions.OrderBy(v => v.Key), pointer.Versions.OrderBy(v => v.Key));
            await cluster.AssertReadsAsync(agent, expected, alsoAbsent: [Catalogue.Sku(Skus + 1), "NOT-A-SKU"]);
        }
    }

    [Fact]
    public async Task Skus_with_odd_characters_survive_being_the_cursor_between_chunks()
    {
        // One change line per chunk: every SKU, the odd ones too, is once the "after" a chunk resumes from.
        await using var cluster = await Cluster.StartAsync(output, "odd-skus", new ClusterOptions { ChunkSize = 1 });
        var (first, _) = await cluster.PublishLiveAsync(await cluster.ImportContentAsync(5, content: 1, odd: true));
        foreach (var agent in cluster.Agents)
        {
            await cluster.AssertReadsAsync(agent, await cluster.ExpectedAsync(first));
        }

        // An overlay of changes: every odd SKU changes (one is deleted), written one line per chunk again.
        var changes = Catalogue.Datasets.ToDictionary(
            d => d,
            d => Catalogue.OddSkus.Skip(1).Select((sku, i) =>
            {
                var json = Catalogue.OddRecord(d, sku, i + 1, content: 2);
                json.Insert(0, "op", "upsert");
                return json.ToJsonString();
            }).Append(new System.Text.Json.Nodes.JsonObject { ["op"] = "delete", ["sku"] = Catalogue.OddSkus[0] }.ToJsonString()).ToList());
        var versions = new Dictionary<string, int>();
        foreach (var (dataset, lines) in changes)
        {
            versions[dataset] = (await cluster.Api.ImportAsync(dataset, lines, "mode=delta&base=1")).Version;
        }

        var (second, _) = await cluster.PublishLiveAsync(versions);
        var expected = await cluster.ExpectedAsync(second);
        foreach (var agent in cluster.Agents)
        {
            var pointer = (await agent.PointerAsync(cluster.Environment))!;
            Assert.Equal(Catalogue.OddSkus.Length, await agent.Redis.Database.SetLengthAsync(RedisLayout.LayerSkusKey(cluster.Environment, "product", pointer.Layers["product"])));
            await cluster.AssertReadsAsync(agent, expected, alsoAbsent: [Catalogue.OddSkus[0]]);
        }
    }

    [Fact]
    public async Task A_delta_release_stages_only_the_changed_skus()
    {
        await using var cluster = await Cluster.StartAsync(output, "delta");
        var versions = await cluster.ImportContentAsync(Skus, content: 1);
        var (first, _) = await cluster.PublishLiveAsync(versions);
        var before = new Dictionary<string, LivePointer>();
        foreach (var agent in cluster.Agents)
        {
            before[agent.Group] = (await agent.PointerAsync(cluster.Environment))!;
        }

        // Three prices change, one SKU is new, one is deleted: five SKUs differ, in one dataset.
        var delta = await cluster.Api.ImportAsync(
            "price",
            [Catalogue.Upsert("price", 1, 2), Catalogue.Upsert("price", 2, 2), Catalogue.Upsert("price", 3, 2), Catalogue.Upsert("price", Skus + 1, 2), Catalogue.Delete(10)],
            $"mode=delta&base={versions["price"]}");
        var changed = new Dictionary<string, int>(versions) { ["price"] = delta.Version };
        var (second, publication) = await cluster.PublishLiveAsync(changed);

        var expected = await cluster.ExpectedAsync(second);
        Assert.False(expected.Records["price"].ContainsKey(Catalogue.Sku(10)));
        foreach (var agent in cluster.Agents)
        {
            var pointer = (await agent.PointerAsync(cluster.Environment))!;
            Assert.Equal(second, pointer.Release);
            Assert.Equal(publication.Generation, pointer.Generation);

            // The unchanged datasets are the layers the first release reads; price is one new layer of five SKUs.
            var previous = before[agent.Group];
            Assert.Equal(previous.Layers["stock"], pointer.Layers["stock"]);
            Assert.Equal(previous.Layers["product"], pointer.Layers["product"]);
            Assert.True(pointer.Layers["price"] > previous.Layers.Values.Max(), "price is a new layer");
            var staged = await agent.Redis.Database.SetLengthAsync(RedisLayout.LayerSkusKey(cluster.Environment, "price", pointer.Layers["price"]));
            Assert.Equal(5, staged);

            await cluster.AssertReadsAsync(agent, expected, alsoAbsent: [Catalogue.Sku(10)]);
        }

        Assert.NotEqual(first, second);
    }
}
