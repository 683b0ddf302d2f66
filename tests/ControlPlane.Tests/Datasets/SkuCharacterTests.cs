using System.Net;
using ControlPlane.Tests.Support;

namespace ControlPlane.Tests.Datasets;

/// <summary>
/// A SKU may hold any printable character, including ones that URLs reserve. Over Kestrel, because how a server
/// decodes the path (it keeps %2F encoded) is what these tests are about.
/// </summary>
public sealed class SkuCharacterTests(KestrelFixture fixture) : DatabaseTest(fixture), IClassFixture<KestrelFixture>
{
    private static readonly string[] Skus = ["A B", "A/B", "A%B", "A%2FB", "A+B", "A?B#C", "Ä-ü-€", "A&B=C", "日本-1"];

    [Fact]
    public async Task A_record_is_found_by_a_SKU_with_reserved_URL_characters()
    {
        var records = Skus.Select((s, i) => new StockRecord(s, i)).ToList();
        await Client.ImportAsync("stock", Bodies.Ndjson(records));

        foreach (var record in records)
        {
            using var response = await Client.GetAsync($"/api/v1/datasets/stock/versions/1/records/{Uri.EscapeDataString(record.Sku)}");
            var found = await Http.ReadAsync<RecordDto>(response, HttpStatusCode.OK);
            Assert.Equal(record.Sku, found.Sku);
            Assert.Equal(record.Canonical, ExpectedCanonicalJson.Of(found.Data));
        }
    }

    [Fact]
    public async Task A_record_is_found_with_a_trailing_slash_after_its_SKU()
    {
        await Client.ImportAsync("stock", Bodies.Ndjson([new StockRecord("A/B", 1)]));

        var found = await Client.GetOkAsync<RecordDto>("/api/v1/datasets/stock/versions/1/records/A%2FB/");

        Assert.Equal("A/B", found.Sku);
    }

    [Fact]
    public async Task Records_and_diffs_page_past_SKUs_with_reserved_URL_characters()
    {
        var records = Skus.Select((s, i) => new StockRecord(s, i)).ToList();
        await Client.ImportAsync("stock", Bodies.Ndjson(records));
        await Client.ImportAsync("stock", Bodies.Ndjson(records.Select(r => r with { Available = r.Available + 1 })));

        var all = await Client.AllRecordsAsync("stock", 1, limit: 1);
        var (_, diff) = await Client.AllDiffAsync("stock", 1, 2, limit: 1);

        var expected = Skus.Order(StringComparer.Ordinal).ToList();
        Assert.Equal(expected, all.Select(r => r.Sku));
        Assert.Equal(expected, diff.Select(d => d.Sku));
    }

    [Fact]
    public async Task Unknown_routes_and_malformed_parameters_answer_problem_details()
    {
        using var badVersion = await Client.GetAsync("/api/v1/datasets/stock/versions/abc");
        await Problem.ReadAsync(badVersion, HttpStatusCode.NotFound);
        using var badBefore = await Client.GetAsync("/api/v1/datasets/stock/versions?before=abc");
        await Problem.ReadAsync(badBefore, HttpStatusCode.BadRequest);
    }
}
