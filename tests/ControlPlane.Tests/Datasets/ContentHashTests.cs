using ControlPlane.Tests.Support;

namespace ControlPlane.Tests.Datasets;

/// <summary>The content hash, recomputed in the test from its documented rule (see <see cref="ExpectedContentHash"/>).</summary>
public sealed class ContentHashTests(ControlPlaneFixture fixture) : DatabaseTest(fixture), IClassFixture<ControlPlaneFixture>
{
    [Fact]
    public async Task Content_hash_of_a_full_import_follows_the_documented_rule()
    {
        var records = Bodies.Prices(500, seed: 7);

        var version = await Client.ImportAsync("price", Bodies.Ndjson(records));

        Assert.Equal(Bodies.HashOf(records), version.ContentHash);
        var readBack = await Client.AllRecordsAsync("price", version.Version);
        Assert.Equal(version.ContentHash, ExpectedContentHash.Of(readBack.Select(r => ExpectedCanonicalJson.Of(r.Data))));
    }

    [Fact]
    public async Task Content_hash_after_a_delta_is_the_hash_of_the_resulting_records()
    {
        var records = Bodies.Prices(300, seed: 8).ToDictionary(r => r.Sku, r => (TestRecord)r);
        await Client.ImportAsync("price", Bodies.Ndjson(records.Values));
        var changed = new PriceRecord("P-00010", 99.90m, "EUR");
        var added = new PriceRecord("N-00001", 1.05m, "USD", 2.00m);
        var delta = Bodies.Lines(changed.UpsertLine(), added.UpsertLine(), TestRecord.DeleteLine("P-00020"), TestRecord.DeleteLine("P-00021"));

        var version = await Client.ImportAsync("price", delta, "mode=delta&base=1");

        records[changed.Sku] = changed;
        records[added.Sku] = added;
        records.Remove("P-00020");
        records.Remove("P-00021");
        Assert.Equal(299, version.Records);
        Assert.Equal(Bodies.HashOf(records.Values), version.ContentHash);
        Assert.Equal((1, 1, 2), (version.Added, version.Changed, version.Removed));
    }

    [Fact]
    public async Task Content_hash_after_a_full_reimport_is_the_hash_of_the_new_snapshot()
    {
        var first = Bodies.Prices(200, seed: 9);
        await Client.ImportAsync("price", Bodies.Ndjson(first));
        var second = first.Select((r, i) => i % 40 == 0 ? r with { Amount = r.Amount + 1 } : r).Where((_, i) => i % 50 != 1).ToList();

        var version = await Client.ImportAsync("price", Bodies.Ndjson(second));

        Assert.Equal(2, version.Version);
        Assert.Equal(Bodies.HashOf(second), version.ContentHash);
    }

    [Fact]
    public async Task Content_hash_of_an_empty_version_is_the_hash_of_no_records()
    {
        var version = await Client.ImportAsync("stock", "", "allowEmpty=true");

        Assert.Equal(0, version.Records);
        Assert.Equal(ExpectedContentHash.Of([]), version.ContentHash);
    }
}
