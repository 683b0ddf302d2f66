using ControlPlane.Tests.Support;

namespace ControlPlane.Tests.Datasets;

/// <summary>A version stores only the rows it changes: it opens rows for new content and closes rows for old.</summary>
public sealed class CopyOnWriteStorageTests(ControlPlaneFixture fixture) : DatabaseTest(fixture), IClassFixture<ControlPlaneFixture>
{
    [Fact]
    public async Task Delta_touching_10_SKUs_opens_and_closes_only_the_rows_it_changes()
    {
        var records = Bodies.Prices(2000);
        await Client.ImportAsync("price", Bodies.Ndjson(records));
        var rowsBefore = await Database.CountRowsAsync("records_price");
        var bySku = records.ToDictionary(r => r.Sku);
        string[] changed = ["P-00010", "P-00020", "P-00030"];
        string[] deleted = ["P-00050", "P-00060", "P-00070"];
        string[] added = ["N-1", "N-2", "N-3"];
        var delta = Bodies.Lines(
            [
                .. changed.Select(s => (bySku[s] with { Amount = bySku[s].Amount + 1 }).UpsertLine()),
                bySku["P-00040"].UpsertLine(), // the same content: touches the SKU without changing it
                .. deleted.Select(TestRecord.DeleteLine),
                .. added.Select(s => new PriceRecord(s, 5m, "EUR").UpsertLine()),
            ]);

        var version = await Client.ImportAsync("price", delta, "mode=delta&base=1");

        Assert.Equal((3L, 3L, 3L, 2000L), (version.Added, version.Changed, version.Removed, version.Records));
        Assert.Equal(rowsBefore + 6, await Database.CountRowsAsync("records_price"));
        Assert.Equal(changed.Concat(deleted).Order(StringComparer.Ordinal),
            await Database.StringsAsync("SELECT sku FROM records_price WHERE to_version = 2 ORDER BY sku"));
        Assert.Equal(added.Concat(changed).Order(StringComparer.Ordinal),
            await Database.StringsAsync("SELECT sku FROM records_price WHERE from_version = 2 ORDER BY sku"));
        Assert.Equal(2000, await Database.ScalarAsync<long>("SELECT count(*) FROM records_price WHERE to_version IS NULL"));

        // The closed rows still make up version 1.
        Assert.Equal(records.Select(r => r.Canonical), (await Client.AllRecordsAsync("price", 1)).Select(r => ExpectedCanonicalJson.Of(r.Data)));
    }

    [Fact]
    public async Task Full_reimport_with_5_changes_adds_only_5_rows()
    {
        var records = Bodies.Prices(2000);
        await Client.ImportAsync("price", Bodies.Ndjson(records));
        var rowsBefore = await Database.CountRowsAsync("records_price");
        int[] changedAt = [3, 500, 999, 1500, 1999];
        var next = records.Select((r, i) => changedAt.Contains(i) ? r with { Currency = "USD", Amount = r.Amount + 0.01m } : r).ToList();

        var version = await Client.ImportAsync("price", Bodies.Ndjson(next.AsEnumerable().Reverse()));

        Assert.Equal((0L, 5L, 0L), (version.Added, version.Changed, version.Removed));
        Assert.Equal(rowsBefore + 5, await Database.CountRowsAsync("records_price"));
        Assert.Equal(changedAt.Select(i => records[i].Sku), await Database.StringsAsync("SELECT sku FROM records_price WHERE to_version = 2 ORDER BY sku"));
        Assert.Equal(Bodies.HashOf(next), version.ContentHash);
        Assert.Equal(next.Select(r => r.Canonical), (await Client.AllRecordsAsync("price", 2)).Select(r => ExpectedCanonicalJson.Of(r.Data)));
    }

    [Fact]
    public async Task Full_reimport_that_drops_and_adds_SKUs_closes_the_dropped_rows_and_opens_the_new_ones()
    {
        var records = Bodies.Prices(1000);
        await Client.ImportAsync("price", Bodies.Ndjson(records));
        var rowsBefore = await Database.CountRowsAsync("records_price");
        var next = records.Skip(2).Concat([new PriceRecord("Z-1", 1m, "EUR"), new PriceRecord("Z-2", 2m, "EUR"), new PriceRecord("Z-3", 3m, "EUR")]).ToList();

        var version = await Client.ImportAsync("price", Bodies.Ndjson(next));

        Assert.Equal((3L, 0L, 2L, 1001L), (version.Added, version.Changed, version.Removed, version.Records));
        Assert.Equal(rowsBefore + 3, await Database.CountRowsAsync("records_price"));
        Assert.Equal(["P-00001", "P-00002"], await Database.StringsAsync("SELECT sku FROM records_price WHERE to_version = 2 ORDER BY sku"));
    }
}
