using System.Net;
using ControlPlane.Tests.Support;

namespace ControlPlane.Tests.Datasets;

/// <summary>Reading datasets, versions and records back, page by page.</summary>
public sealed class ReadApiTests(ControlPlaneFixture fixture) : DatabaseTest(fixture), IClassFixture<ControlPlaneFixture>
{
    [Fact]
    public async Task Records_are_paged_by_SKU_with_after_and_nextAfter()
    {
        var records = Bodies.Prices(25);
        await Client.ImportAsync("price", Bodies.Ndjson(records.AsEnumerable().Reverse()));

        var first = await Client.GetOkAsync<RecordPageDto>("/api/v1/datasets/price/versions/1/records?limit=10");
        Assert.Equal(records.Take(10).Select(r => r.Sku), first.Items.Select(i => i.Sku));
        Assert.Equal("P-00010", first.NextAfter);

        var third = await Client.GetOkAsync<RecordPageDto>("/api/v1/datasets/price/versions/1/records?limit=10&after=P-00020");
        Assert.Equal(records.Skip(20).Select(r => r.Sku), third.Items.Select(i => i.Sku));
        Assert.Null(third.NextAfter);

        var all = await Client.AllRecordsAsync("price", 1, limit: 7);
        Assert.Equal(records.Select(r => r.Canonical), all.Select(r => ExpectedCanonicalJson.Of(r.Data)));
    }

    [Fact]
    public async Task Versions_are_listed_newest_first_and_paged_with_before_and_nextBefore()
    {
        for (var i = 1; i <= 5; i++)
        {
            await Client.ImportAsync("stock", Bodies.Ndjson([new StockRecord("S-1", i)]));
        }

        var first = await Client.GetOkAsync<VersionPageDto>("/api/v1/datasets/stock/versions?limit=2");
        Assert.Equal([5, 4], first.Items.Select(v => v.Version));
        Assert.Equal(4, first.NextBefore);
        var second = await Client.GetOkAsync<VersionPageDto>("/api/v1/datasets/stock/versions?limit=2&before=4");
        Assert.Equal([3, 2], second.Items.Select(v => v.Version));
        Assert.Equal(2, second.NextBefore);
        var last = await Client.GetOkAsync<VersionPageDto>("/api/v1/datasets/stock/versions?limit=2&before=2");
        Assert.Equal([1], last.Items.Select(v => v.Version));
        Assert.Null(last.NextBefore);
    }

    [Fact]
    public async Task Dataset_list_shows_each_dataset_with_its_latest_version()
    {
        await Client.ImportAsync("stock", Bodies.Ndjson([new StockRecord("S-1", 1)]));
        await Client.ImportAsync("stock", Bodies.Ndjson([new StockRecord("S-1", 2)]));

        var datasets = await Client.GetOkAsync<List<DatasetSummaryDto>>("/api/v1/datasets");

        Assert.Equal(["price", "stock", "product"], datasets.Select(d => d.Name));
        Assert.Equal(2, datasets.Single(d => d.Name == "stock").Latest?.Version);
        Assert.Null(datasets.Single(d => d.Name == "price").Latest);
        Assert.Contains("amount", datasets.Single(d => d.Name == "price").Fields);
    }

    [Fact]
    public async Task A_SKU_absent_from_a_version_is_404()
    {
        await Client.ImportAsync("stock", Bodies.Ndjson([new StockRecord("S-1", 1)]));

        using var missingSku = await Client.GetAsync("/api/v1/datasets/stock/versions/1/records/S-2");
        await Problem.ReadAsync(missingSku, HttpStatusCode.NotFound);
        using var missingVersion = await Client.GetAsync("/api/v1/datasets/stock/versions/2/records");
        await Problem.ReadAsync(missingVersion, HttpStatusCode.NotFound);
    }
}
