using ControlPlane.Tests.Support;

namespace ControlPlane.Tests.Datasets;

public sealed class GuardrailTests(ControlPlaneFixture fixture) : DatabaseTest(fixture), IClassFixture<ControlPlaneFixture>
{
    [Fact]
    public async Task A_price_moving_by_more_than_50_percent_is_warned_with_the_SKU_as_example()
    {
        await ImportProductsAsync("M-1", "M-2", "M-3", "M-4");
        await Client.ImportAsync("price", Bodies.Ndjson([new PriceRecord("M-1", 10m, "EUR"), new PriceRecord("M-2", 10m, "EUR"), new PriceRecord("M-3", 10m, "EUR"), new PriceRecord("M-4", 10m, "EUR")]));

        var version = await Client.ImportAsync("price", Bodies.Lines(
            new PriceRecord("M-1", 16m, "EUR").UpsertLine(),  // +60%
            new PriceRecord("M-2", 4m, "EUR").UpsertLine(),   // -60%
            new PriceRecord("M-3", 14.99m, "EUR").UpsertLine(), // +49.9%: within the limit
            new PriceRecord("M-4", 15m, "EUR").UpsertLine()), // +50% exactly: within the limit
            "mode=delta&base=1");

        var warning = Assert.Single(version.Warnings);
        Assert.Equal("price-moved", warning.Code);
        Assert.Equal(2, warning.Count);
        Assert.Equal(["M-1", "M-2"], warning.Examples);
        Assert.Equivalent(version.Warnings, (await Client.GetOkAsync<VersionDto>("/api/v1/datasets/price/versions/2")).Warnings, strict: true);
    }

    [Fact]
    public async Task A_warning_counts_every_SKU_but_lists_only_the_first_10_as_examples()
    {
        var records = Bodies.Prices(30);
        await ImportProductsAsync([.. records.Select(r => r.Sku)]);
        await Client.ImportAsync("price", Bodies.Ndjson(records));
        var moved = records.Where((_, i) => i % 2 == 1).Select(r => r.Sku).ToHashSet();

        var version = await Client.ImportAsync("price", Bodies.Ndjson(records.Select(r => moved.Contains(r.Sku) ? r with { Amount = r.Amount * 2 + 1 } : r)));

        var warning = Assert.Single(version.Warnings);
        Assert.Equal(("price-moved", 15L), (warning.Code, warning.Count));
        Assert.Equal(moved.Order(StringComparer.Ordinal).Take(10), warning.Examples);
    }

    [Fact]
    public async Task A_price_move_in_a_full_reimport_is_warned_too()
    {
        var records = Bodies.Prices(20);
        await ImportProductsAsync([.. records.Select(r => r.Sku)]);
        await Client.ImportAsync("price", Bodies.Ndjson(records));

        var version = await Client.ImportAsync("price", Bodies.Ndjson(records.Select(r => r.Sku == "P-00007" ? r with { Amount = r.Amount * 3 } : r)));

        var warning = Assert.Single(version.Warnings);
        Assert.Equal(("price-moved", 1L), (warning.Code, warning.Count));
        Assert.Equal(["P-00007"], warning.Examples);
    }

    [Fact]
    public async Task A_record_count_change_of_more_than_10_percent_is_warned()
    {
        var stock = Enumerable.Range(1, 100).Select(i => new StockRecord($"S-{i:D3}", i)).ToList();
        await Client.ImportAsync("stock", Bodies.Ndjson(stock));

        var small = await Client.ImportAsync("stock", Bodies.Ndjson(stock.Take(95)));
        var large = await Client.ImportAsync("stock", Bodies.Ndjson(stock.Take(95).Concat(Enumerable.Range(101, 20).Select(i => new StockRecord($"S-{i:D3}", i)))));

        Assert.Empty(small.Warnings);
        var warning = Assert.Single(large.Warnings);
        Assert.Equal(("record-count-change", 20L), (warning.Code, warning.Count));
    }

    [Fact]
    public async Task Price_SKUs_missing_in_product_are_warned_as_price_without_product()
    {
        await ImportProductsAsync("K-1", "K-2");

        var version = await Client.ImportAsync("price", Bodies.Ndjson([new PriceRecord("K-1", 1m, "EUR"), new PriceRecord("K-2", 1m, "EUR"), new PriceRecord("K-3", 1m, "EUR"), new PriceRecord("K-0", 1m, "EUR")]));

        var warning = Assert.Single(version.Warnings);
        Assert.Equal(("price-without-product", 2L), (warning.Code, warning.Count));
        Assert.Equal(["K-0", "K-3"], warning.Examples);
    }

    [Fact]
    public async Task Removing_products_that_still_have_a_price_is_warned_on_the_product_version()
    {
        await ImportProductsAsync("K-1", "K-2", "K-3");
        await Client.ImportAsync("price", Bodies.Ndjson([new PriceRecord("K-1", 1m, "EUR"), new PriceRecord("K-2", 1m, "EUR")]));

        var version = await Client.ImportAsync("product", Bodies.Lines(TestRecord.DeleteLine("K-2"), TestRecord.DeleteLine("K-3")), "mode=delta&base=1");

        var warning = Assert.Single(version.Warnings, w => w.Code == "price-without-product");
        Assert.Equal(1, warning.Count);
        Assert.Equal(["K-2"], warning.Examples);
    }

    [Fact]
    public async Task An_ordinary_price_update_has_no_warnings()
    {
        var records = Bodies.Prices(50);
        await ImportProductsAsync([.. records.Select(r => r.Sku)]);
        await Client.ImportAsync("price", Bodies.Ndjson(records));

        var version = await Client.ImportAsync("price", Bodies.Lines((records[0] with { Amount = records[0].Amount * 1.2m }).UpsertLine()), "mode=delta&base=1");

        Assert.Empty(version.Warnings);
    }

    private Task<VersionDto> ImportProductsAsync(params string[] skus) =>
        Client.ImportAsync("product", Bodies.Ndjson(skus.Select(s => new ProductRecord(s, "Product " + s, "test"))));
}
