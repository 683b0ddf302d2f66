using System.Net;
using ControlPlane.Tests.Support;

namespace ControlPlane.Tests.Datasets;

public sealed class ConcurrentImportTests(ControlPlaneFixture fixture) : DatabaseTest(fixture), IClassFixture<ControlPlaneFixture>
{
    [Fact]
    public async Task Six_concurrent_full_imports_of_one_dataset_all_succeed_as_versions_1_to_6()
    {
        var bodies = Enumerable.Range(1, 6).Select(i => Bodies.Prices(300 + i, seed: i)).ToList();

        var versions = await Task.WhenAll(bodies.Select(body => Task.Run(() => Client.ImportAsync("price", Bodies.Ndjson(body)))));

        Assert.Equal([1, 2, 3, 4, 5, 6], versions.Select(v => v.Version).Order());
        for (var i = 0; i < bodies.Count; i++)
        {
            // Each import answered the version holding exactly its own body.
            Assert.Equal(Bodies.HashOf(bodies[i]), versions[i].ContentHash);
            Assert.Equal(bodies[i].Count, versions[i].Records);
            Assert.Equal(bodies[i].Select(r => r.Canonical),
                (await Client.AllRecordsAsync("price", versions[i].Version)).Select(r => ExpectedCanonicalJson.Of(r.Data)));
        }

        var listed = await Client.AllVersionsAsync("price");
        Assert.Equal([6, 5, 4, 3, 2, 1], listed.Select(v => v.Version));
        Assert.All(listed.Where(v => v.Version > 1), v => Assert.Equal(v.Version - 1, v.BaseVersion));
        var latest = Array.FindIndex(versions, v => v.Version == 6);
        Assert.Equal(bodies[latest].Count, await Database.ScalarAsync<long>("SELECT count(*) FROM records_price WHERE to_version IS NULL"));
    }

    [Fact]
    public async Task Concurrent_deltas_with_rebase_are_all_applied_one_after_another()
    {
        await Client.ImportAsync("stock", Bodies.Ndjson([new StockRecord("S-0", 0)]));
        var deltas = Enumerable.Range(1, 5).Select(i => Bodies.Lines(new StockRecord($"S-{i}", i).UpsertLine())).ToList();

        var versions = await Task.WhenAll(deltas.Select(d => Task.Run(() => Client.ImportAsync("stock", d, "mode=delta&base=1&rebase=true"))));

        Assert.Equal([2, 3, 4, 5, 6], versions.Select(v => v.Version).Order());
        Assert.All(versions, v => Assert.Equal(v.Version - 1, v.BaseVersion));
        Assert.Equal(Bodies.HashOf(Enumerable.Range(0, 6).Select(i => new StockRecord($"S-{i}", i))),
            (await Client.GetOkAsync<VersionDto>("/api/v1/datasets/stock/versions/6")).ContentHash);
    }

    [Fact]
    public async Task Concurrent_deltas_on_the_same_base_without_rebase_let_exactly_one_win()
    {
        await Client.ImportAsync("stock", Bodies.Ndjson([new StockRecord("S-0", 0)]));
        var deltas = Enumerable.Range(1, 5).Select(i => Bodies.Lines(new StockRecord($"S-{i}", i).UpsertLine())).ToList();

        var responses = await Task.WhenAll(deltas.Select(d => Task.Run(() => Client.PostVersionAsync("stock", d, "mode=delta&base=1"))));

        try
        {
            Assert.Single(responses, r => r.StatusCode == HttpStatusCode.Created);
            Assert.Equal(4, responses.Count(r => r.StatusCode == HttpStatusCode.Conflict));
            Assert.Equal(2, (await Client.AllVersionsAsync("stock")).Count);
        }
        finally
        {
            foreach (var response in responses)
            {
                response.Dispose();
            }
        }
    }
}
