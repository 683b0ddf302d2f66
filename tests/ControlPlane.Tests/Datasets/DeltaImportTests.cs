using System.Net;
using ControlPlane.Tests.Support;

namespace ControlPlane.Tests.Datasets;

public sealed class DeltaImportTests(ControlPlaneFixture fixture) : DatabaseTest(fixture), IClassFixture<ControlPlaneFixture>
{
    [Fact]
    public async Task Delta_applies_upserts_and_deletes_to_its_base_as_a_new_version()
    {
        var records = Bodies.Prices(20);
        await Client.ImportAsync("price", Bodies.Ndjson(records));
        var changed = records[4] with { Amount = records[4].Amount + 0.5m };
        var added = new PriceRecord("Q-1", 8.25m, "GBP");
        var delta = Bodies.Lines(changed.UpsertLine(), added.UpsertLine(), TestRecord.DeleteLine(records[7].Sku));

        using var response = await Client.PostVersionAsync("price", delta, "mode=delta&base=1&note=fix", actor: "bob");

        var version = await Http.ReadAsync<VersionDto>(response, HttpStatusCode.Created);
        Assert.Equal((2, "delta", (int?)1), (version.Version, version.Kind, version.BaseVersion));
        Assert.Equal((1L, 1L, 1L, 20L), (version.Added, version.Changed, version.Removed, version.Records));
        Assert.Equal(("bob", "fix"), (version.CreatedBy, version.Note));
        var expected = records.Where(r => r.Sku != records[7].Sku).Select(r => r.Sku == changed.Sku ? changed : r).Append(added).ToList();
        var readBack = await Client.AllRecordsAsync("price", 2);
        Assert.Equal(expected.Select(r => r.Canonical).Order(StringComparer.Ordinal), readBack.Select(r => ExpectedCanonicalJson.Of(r.Data)).Order(StringComparer.Ordinal));
        Assert.Equal(records.Select(r => r.Canonical), (await Client.AllRecordsAsync("price", 1)).Select(r => ExpectedCanonicalJson.Of(r.Data)));
    }

    [Fact]
    public async Task Delta_in_CSV_with_an_op_column_is_applied()
    {
        await Client.ImportAsync("stock", Bodies.Ndjson([new StockRecord("S-1", 1), new StockRecord("S-2", 2)]));

        var version = await Client.ImportAsync("stock", "op,sku,available\r\nupsert,S-1,10\r\ndelete,S-2,\r\n", "mode=delta&base=1", DatasetsClient.Csv);

        Assert.Equal((0L, 1L, 1L), (version.Added, version.Changed, version.Removed));
        Assert.Equal(Bodies.HashOf([new StockRecord("S-1", 10)]), version.ContentHash);
    }

    [Fact]
    public async Task Delta_on_a_base_that_does_not_exist_is_not_found()
    {
        var delta = Bodies.Lines(new StockRecord("S-1", 1).UpsertLine());
        using var onEmpty = await Client.PostVersionAsync("stock", delta, "mode=delta&base=1");
        await Problem.ReadAsync(onEmpty, HttpStatusCode.NotFound);

        await Client.ImportAsync("stock", Bodies.Ndjson([new StockRecord("S-1", 5)]));
        using var beyond = await Client.PostVersionAsync("stock", delta, "mode=delta&base=2");
        await Problem.ReadAsync(beyond, HttpStatusCode.NotFound);

        Assert.Single(await Client.AllVersionsAsync("stock"));
    }

    [Fact]
    public async Task Delta_on_a_base_that_is_not_the_latest_is_a_conflict()
    {
        await Client.ImportAsync("stock", Bodies.Ndjson([new StockRecord("S-1", 1)]));
        await Client.ImportAsync("stock", Bodies.Ndjson([new StockRecord("S-1", 2)]));
        var rows = await Database.CountRowsAsync("records");

        using var response = await Client.PostVersionAsync("stock", Bodies.Lines(new StockRecord("S-9", 9).UpsertLine()), "mode=delta&base=1");

        var problem = await Problem.ReadAsync(response, HttpStatusCode.Conflict);
        Assert.Contains("rebase=true", problem.Detail, StringComparison.Ordinal);
        Assert.Equal(2, (await Client.AllVersionsAsync("stock")).Count);
        Assert.Equal(rows, await Database.CountRowsAsync("records"));
    }

    [Fact]
    public async Task Delta_with_rebase_on_an_older_base_is_applied_to_the_latest_version()
    {
        await Client.ImportAsync("stock", Bodies.Ndjson([new StockRecord("S-1", 1), new StockRecord("S-2", 2)]));
        await Client.ImportAsync("stock", Bodies.Ndjson([new StockRecord("S-1", 10), new StockRecord("S-2", 2), new StockRecord("S-3", 3)]));

        var version = await Client.ImportAsync("stock", Bodies.Lines(new StockRecord("S-9", 9).UpsertLine(), TestRecord.DeleteLine("S-2")), "mode=delta&base=1&rebase=true");

        Assert.Equal((3, (int?)2), (version.Version, version.BaseVersion));
        Assert.Equal(Bodies.HashOf([new StockRecord("S-1", 10), new StockRecord("S-3", 3), new StockRecord("S-9", 9)]), version.ContentHash);
        Assert.Equal(["S-1", "S-3", "S-9"], (await Client.AllRecordsAsync("stock", 3)).Select(r => r.Sku));
    }

    [Fact]
    public async Task Delta_without_a_base_is_refused_naming_base()
    {
        await Client.ImportAsync("stock", Bodies.Ndjson([new StockRecord("S-1", 1)]));

        await RejectedImport.AssertAsync(Client, Database, "stock", Bodies.Lines(new StockRecord("S-1", 2).UpsertLine()), "mode=delta", DatasetsClient.Ndjson, (0, "base"));
    }

    [Fact]
    public async Task Deleting_a_SKU_that_is_not_in_the_base_is_refused_naming_its_line()
    {
        await Client.ImportAsync("stock", Bodies.Ndjson([new StockRecord("S-1", 1)]));
        var delta = Bodies.Lines(new StockRecord("S-1", 2).UpsertLine(), TestRecord.DeleteLine("S-404"));

        await RejectedImport.AssertAsync(Client, Database, "stock", delta, "mode=delta&base=1", DatasetsClient.Ndjson, (2, "sku"));
    }

    [Fact]
    public async Task Change_set_lines_need_a_known_op_and_a_delete_names_only_the_SKU()
    {
        await Client.ImportAsync("stock", Bodies.Ndjson([new StockRecord("S-1", 1), new StockRecord("S-2", 2)]));
        var delta = Bodies.Lines(
            """{"sku":"S-1","available":3}""",
            """{"op":"replace","sku":"S-1","available":3}""",
            """{"op":"delete","sku":"S-2","available":0}""",
            """{"op":"upsert","sku":"S-3","available":-1}""");

        await RejectedImport.AssertAsync(Client, Database, "stock", delta, "mode=delta&base=1", DatasetsClient.Ndjson,
            (1, "op"), (2, "op"), (3, null), (4, "available"));
    }

    [Fact]
    public async Task A_malformed_change_set_line_is_reported_once()
    {
        await Client.ImportAsync("stock", Bodies.Ndjson([new StockRecord("S-1", 1)]));
        var delta = Bodies.Lines(new StockRecord("S-1", 2).UpsertLine(), """{"op":"upsert","sku":"S-2",""");

        await RejectedImport.AssertAsync(Client, Database, "stock", delta, "mode=delta&base=1", DatasetsClient.Ndjson, (2, null));
    }

    [Fact]
    public async Task A_SKU_twice_in_a_change_set_is_refused()
    {
        await Client.ImportAsync("stock", Bodies.Ndjson([new StockRecord("S-1", 1)]));
        var delta = Bodies.Lines(new StockRecord("S-1", 2).UpsertLine(), new StockRecord("S-2", 2).UpsertLine(), TestRecord.DeleteLine("S-1"));

        var problem = await RejectedImport.AssertAsync(Client, Database, "stock", delta, "mode=delta&base=1", DatasetsClient.Ndjson, (3, "sku"));

        Assert.Contains("line 1", problem.Errors[0].Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_empty_change_set_is_refused()
    {
        await Client.ImportAsync("stock", Bodies.Ndjson([new StockRecord("S-1", 1)]));

        await RejectedImport.AssertAsync(Client, Database, "stock", "\n", "mode=delta&base=1", DatasetsClient.Ndjson, (1, null));
    }

    [Theory]
    [InlineData("mode=partial")]
    [InlineData("mode=delta&base=zero")]
    [InlineData("mode=delta&base=0")]
    [InlineData("rebase=maybe")]
    [InlineData("allowEmpty=1")]
    public async Task Invalid_query_parameters_are_a_bad_request_naming_the_parameter(string query)
    {
        using var response = await Client.PostVersionAsync("stock", Bodies.Lines(new StockRecord("S-1", 2).NdjsonLine()), query);

        var problem = await Problem.ReadAsync(response, HttpStatusCode.BadRequest);
        Assert.Equal(query.Split('&')[^1].Split('=')[0], Assert.Single(problem.Errors).Field);
        Assert.Empty(await Client.AllVersionsAsync("stock"));
    }
}
