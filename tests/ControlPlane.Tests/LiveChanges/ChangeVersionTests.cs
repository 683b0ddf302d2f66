using ControlPlane.LiveChanges;
using Microsoft.Extensions.DependencyInjection;
using System.Net;
using ControlPlane.Tests.Datasets;
using ControlPlane.Tests.Support;
using static ControlPlane.Tests.LiveChanges.LiveChangesClient;

namespace ControlPlane.Tests.LiveChanges;

/// <summary>How versions and the change log meet: watermarks, change sets on the head, folding and pruning.</summary>
public sealed class ChangeVersionTests(LiveChangesFixture fixture) : IClassFixture<LiveChangesFixture>, IAsyncLifetime
{
    private HttpClient Client => fixture.Client;

    public Task InitializeAsync() => fixture.ResetChangesAsync();

    public Task DisposeAsync() => Task.CompletedTask;

    [Fact]
    public async Task A_full_import_supersedes_earlier_changes_and_later_adjusts_start_from_it()
    {
        var v1 = await Client.ImportAsync("stock", Bodies.Ndjson([new StockRecord("A", 10)]));
        Assert.Equal(0, v1.ChangeWatermark);
        await Client.ChangesAsync("stock", Adjust("A", -4));

        var v2 = await Client.ImportAsync("stock", Bodies.Ndjson([new StockRecord("A", 100)]));
        Assert.Equal(1, v2.ChangeWatermark);
        Assert.Equal(v2.Version, (await Client.ChangeLogAsync("stock"))[0].FoldedInto);

        await Client.ChangesAsync("stock", Adjust("A", -1));
        Assert.Equal(new StockRecord("A", 99).Canonical, (await Client.ChangeLogAsync("stock"))[^1].Data);
    }

    [Fact]
    public async Task A_change_set_applies_to_the_head_its_lines_win_and_it_absorbs_the_pending_changes()
    {
        await Client.ImportAsync("price", Bodies.Ndjson([new PriceRecord("A", 1m, "EUR"), new PriceRecord("B", 2m, "EUR"), new PriceRecord("C", 3m, "EUR")]));
        await Client.ChangesAsync("price", new PriceRecord("A", 1.5m, "EUR").UpsertLine(), new PriceRecord("B", 2.5m, "EUR").UpsertLine(),
            TestRecord.DeleteLine("C"), new PriceRecord("D", 4m, "EUR").UpsertLine());

        // The planned change set names B (it wins over the live change) and deletes D, which only a live change added.
        var v2 = await Client.ImportAsync("price", Bodies.Lines(new PriceRecord("B", 9m, "EUR").UpsertLine(), TestRecord.DeleteLine("D")), "mode=delta&base=1");

        Assert.Equal(("delta", 4L), (v2.Kind, v2.ChangeWatermark));
        Assert.Equal(new PriceRecord("A", 1.5m, "EUR").Canonical, await Client.RecordAtAsync("price", 2, "A"));
        Assert.Equal(new PriceRecord("B", 9m, "EUR").Canonical, await Client.RecordAtAsync("price", 2, "B"));
        Assert.Null(await Client.RecordAtAsync("price", 2, "C"));
        Assert.Null(await Client.RecordAtAsync("price", 2, "D"));
        Assert.Equal(Bodies.HashOf([new PriceRecord("A", 1.5m, "EUR"), new PriceRecord("B", 9m, "EUR")]), v2.ContentHash);
        Assert.All(await Client.ChangeLogAsync("price"), c => Assert.Equal(2, c.FoldedInto));
    }

    [Fact]
    public async Task Folding_makes_a_version_equal_to_the_head_with_the_right_hash_and_watermark()
    {
        var records = Bodies.Prices(50);
        await Client.ImportAsync("price", Bodies.Ndjson(records));
        var random = new Random(7);
        var expected = records.ToDictionary(r => r.Sku, r => (TestRecord?)r);
        for (var batch = 0; batch < 5; batch++)
        {
            var lines = new List<string>();
            for (var i = 0; i < 20; i++)
            {
                var sku = "P-" + random.Next(1, 60).ToString("D6", System.Globalization.CultureInfo.InvariantCulture);
                if (random.Next(5) == 0)
                {
                    lines.Add(TestRecord.DeleteLine(sku));
                    expected[sku] = null;
                }
                else
                {
                    var price = Bodies.RandomPrice(sku, random);
                    lines.Add(price.UpsertLine());
                    expected[sku] = price;
                }
            }

            await Client.ChangesAsync("price", lines);
        }

        using var response = await Client.PostAsync("/api/v1/datasets/price/changes/fold?note=test", null);
        var folded = await Http.ReadAsync<VersionDto>(response, HttpStatusCode.Created);

        Assert.Equal(("fold", 100L, (int?)1), (folded.Kind, folded.ChangeWatermark, folded.BaseVersion));
        var live = expected.Values.OfType<TestRecord>().ToList();
        Assert.Equal(Bodies.HashOf(live), folded.ContentHash);
        Assert.Equal(live.Select(r => r.Canonical).Order(StringComparer.Ordinal),
            (await Client.AllRecordsAsync("price", folded.Version)).Select(r => ExpectedCanonicalJson.Of(r.Data)).Order(StringComparer.Ordinal));
        var stream = await Client.StreamAsync("price");
        Assert.Equal((0L, 100L, (int?)2), (stream.Unfolded, stream.LatestWatermark, stream.LatestVersion));

        // Nothing left to fold: the latest version is the answer, nothing is created.
        using var again = await Client.PostAsync("/api/v1/datasets/price/changes/fold", null);
        Assert.Equal(2, (await Http.ReadAsync<VersionDto>(again, HttpStatusCode.OK)).Version);
    }

    [Fact]
    public async Task Pruning_keeps_unfolded_changes_and_the_newest_change_of_each_SKU()
    {
        await Client.ImportAsync("stock", Bodies.Ndjson([new StockRecord("A", 10), new StockRecord("B", 10)]));
        await Client.ChangesAsync("stock", Adjust("A", -1), Adjust("A", -1), Adjust("B", -1));
        using (var fold = await Client.PostAsync("/api/v1/datasets/stock/changes/fold", null))
        {
            Assert.Equal(HttpStatusCode.Created, fold.StatusCode);
        }

        await Client.ChangesAsync("stock", Adjust("A", -1), Adjust("A", -1));
        var folder = fixture.Factory.Services.GetRequiredService<ChangeFolder>();

        // The fixture's clock stands still, so with no audit time the folded changes are due at once.
        var pruned = await folder.PruneAsync(ControlPlane.Datasets.DatasetDefinition.Stock, CancellationToken.None);

        Assert.Equal(2, pruned);
        Assert.Equal([3L, 4L, 5L], (await Client.ChangeLogAsync("stock")).Select(c => c.Seq));
    }
}
