using System.Net;
using System.Text.Json;
using ControlPlane.Tests.Support;

namespace ControlPlane.Tests.Datasets;

public sealed class FullImportTests(ControlPlaneFixture fixture) : DatabaseTest(fixture), IClassFixture<ControlPlaneFixture>
{
    [Fact]
    public async Task Full_NDJSON_import_of_prices_answers_201_with_the_new_version()
    {
        PriceRecord[] records = [new("A-1", 12.50m, "EUR"), new("A-2", 3.0m, "USD", 4.10m), new("A-3", 0.0001m, "GBP")];

        using var response = await Client.PostVersionAsync("price", Bodies.Ndjson(records), "note=" + Uri.EscapeDataString("weekly feed #1"), actor: "alice");
        var version = await Http.ReadAsync<VersionDto>(response, HttpStatusCode.Created);

        Assert.Equal("/api/v1/datasets/price/versions/1", response.Headers.Location?.OriginalString);
        Assert.Equal("price", version.Dataset);
        Assert.Equal(1, version.Version);
        Assert.Equal("full", version.Kind);
        Assert.Null(version.BaseVersion);
        Assert.Equal(3, version.Records);
        Assert.Equal(3, version.Added);
        Assert.Equal(0, version.Changed);
        Assert.Equal(0, version.Removed);
        Assert.Equal(Bodies.HashOf(records), version.ContentHash);
        Assert.Equal(FixedTimeProvider.Default, version.CreatedAt);
        Assert.Equal("alice", version.CreatedBy);
        Assert.Equal("weekly feed #1", version.Note);

        var stored = await Client.GetOkAsync<VersionDto>("/api/v1/datasets/price/versions/1");
        Assert.Equivalent(version, stored, strict: true);
    }

    [Fact]
    public async Task Version_answer_uses_the_documented_camelCase_member_names()
    {
        using var response = await Client.PostVersionAsync("stock", Bodies.Ndjson([new StockRecord("S-1", 4)]));
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        using var document = JsonDocument.Parse(await response.Content.ReadAsStringAsync());

        string[] members = ["dataset", "version", "kind", "baseVersion", "records", "contentHash", "added", "changed", "removed", "createdAt", "createdBy", "note", "warnings", "tier", "changeWatermark"];
        Assert.Equal(members.Order(StringComparer.Ordinal), document.RootElement.EnumerateObject().Select(p => p.Name).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task The_version_is_created_by_the_tokens_name_and_has_no_note_without_one()
    {
        var version = await Client.ImportAsync("stock", Bodies.Ndjson([new StockRecord("S-1", 4)]));

        Assert.Equal(ControlPlaneFixture.AdminName, version.CreatedBy);
        Assert.Null(version.Note);
    }

    [Fact]
    public async Task An_X_Actor_header_cannot_claim_another_creator()
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/datasets/stock/versions")
        {
            Content = new StringContent(Bodies.Ndjson([new StockRecord("S-1", 4)]), System.Text.Encoding.UTF8, DatasetsClient.Ndjson),
        };
        request.Headers.Add("X-Actor", "mallory");

        using var response = await Client.SendAsync(request);

        Assert.Equal(ControlPlaneFixture.AdminName, (await Http.ReadAsync<VersionDto>(response, HttpStatusCode.Created)).CreatedBy);
    }

    [Fact]
    public async Task NDJSON_records_are_stored_and_read_back_in_canonical_form()
    {
        ProductRecord[] records =
        [
            new("B-1", "Café crème <500g> & \"more\"", "food", """{ "weight": 1.50, "Zone": "b", "tags": ["x", 2.0], "nested": { "z": 1, "a": null, "é": true } }"""),
            new("B-2", "Tab\there\u0001", "tools"),
        ];

        var version = await Client.ImportAsync("product", Bodies.Ndjson(records));

        var expected = records.ToDictionary(r => r.Sku, r => r.Canonical);
        Assert.Equal(
            """{"attributes":{"Zone":"b","nested":{"a":null,"z":1,"é":true},"tags":["x",2],"weight":1.5},"category":"food","sku":"B-1","title":"Café crème <500g> & \"more\""}""",
            expected["B-1"]);
        Assert.Equal(expected.OrderBy(e => e.Key, StringComparer.Ordinal).Select(e => (e.Key, e.Value)),
            await Database.PairsAsync("SELECT sku, data FROM records_product ORDER BY sku"));

        var readBack = await Client.AllRecordsAsync("product", version.Version);
        Assert.Equal(["B-1", "B-2"], readBack.Select(r => r.Sku));
        Assert.All(readBack, r => Assert.Equal(expected[r.Sku], ExpectedCanonicalJson.Of(r.Data)));

        // Keys come back sorted and numbers without trailing zeros.
        var attributes = readBack[0].Data.GetProperty("attributes");
        Assert.Equal(["Zone", "nested", "tags", "weight"], attributes.EnumerateObject().Select(p => p.Name));
        Assert.Equal("1.5", attributes.GetProperty("weight").GetRawText());

        var single = await Client.GetOkAsync<RecordDto>("/api/v1/datasets/product/versions/1/records/B-2");
        Assert.Equal("B-2", single.Sku);
        Assert.Equal(expected["B-2"], ExpectedCanonicalJson.Of(single.Data));
    }

    [Fact]
    public async Task Full_CSV_import_of_prices_stores_the_same_canonical_records_as_NDJSON()
    {
        PriceRecord[] records = [new("C-1", 12.50m, "EUR"), new("C-2", 7.0000m, "CHF", 9.90m)];

        var version = await Client.ImportAsync("price", Bodies.Csv(PriceRecord.CsvHeader, records), contentType: DatasetsClient.Csv);

        Assert.Equal(2, version.Records);
        Assert.Equal(Bodies.HashOf(records), version.ContentHash);
        var readBack = await Client.AllRecordsAsync("price", 1);
        Assert.Equal(records.Select(r => r.Canonical), readBack.Select(r => ExpectedCanonicalJson.Of(r.Data)));
        Assert.Equal("""{"amount":12.5,"currency":"EUR","sku":"C-1"}""", records[0].Canonical);
        Assert.Equal("12.5", readBack[0].Data.GetProperty("amount").GetRawText());
        Assert.False(readBack[0].Data.TryGetProperty("listAmount", out _), "an empty CSV cell is an absent field");
    }

    [Fact]
    public async Task Full_CSV_import_of_stock_answers_201()
    {
        StockRecord[] records = [new("S-1", 0, "north"), new("S-2", 12)];

        var version = await Client.ImportAsync("stock", Bodies.Csv(StockRecord.CsvHeader, records), contentType: DatasetsClient.Csv);

        Assert.Equal(Bodies.HashOf(records), version.ContentHash);
        Assert.Equal(records.Select(r => r.Canonical), (await Client.AllRecordsAsync("stock", 1)).Select(r => ExpectedCanonicalJson.Of(r.Data)));
    }

    [Fact]
    public async Task Full_CSV_import_of_products_reads_attributes_from_a_JSON_cell()
    {
        ProductRecord[] records =
        [
            new("D-1", "Shirt, blue", "apparel", """{"size":"M","colour":"blue","weight":0.250}"""),
            new("D-2", "Mug", "kitchen"),
        ];
        var body = Bodies.Csv(ProductRecord.CsvHeader, records);
        Assert.Contains("\"{\"\"size\"\"", body, StringComparison.Ordinal);

        var version = await Client.ImportAsync("product", body, contentType: DatasetsClient.Csv);

        Assert.Equal(Bodies.HashOf(records), version.ContentHash);
        var first = await Client.GetOkAsync<RecordDto>("/api/v1/datasets/product/versions/1/records/D-1");
        Assert.Equal("""{"attributes":{"colour":"blue","size":"M","weight":0.25},"category":"apparel","sku":"D-1","title":"Shirt, blue"}""",
            ExpectedCanonicalJson.Of(first.Data));
    }
}
