using System.Text;
using ControlPlane.Client;
using ControlPlane.Tests.Datasets;
using ControlPlane.Tests.Support;

namespace ControlPlane.Tests.Client;

/// <summary>
/// The typed client against the real control plane over Kestrel (how the server decodes a SKU's '/' in the path
/// matters): imports, versions, records and diffs read back as sent.
/// </summary>
public sealed class ClientDatasetTests(KestrelFixture fixture) : DatabaseTest(fixture), IClassFixture<KestrelFixture>
{
    private ControlPlaneClient Api => new(Client);

    private static MemoryStream Body(string text) => new(Encoding.UTF8.GetBytes(text));

    [Fact]
    public async Task Import_streams_a_full_snapshot_and_reads_back_versions_records_and_the_same_content_as_unchanged()
    {
        var prices = Bodies.Prices(5);

        var created = await Api.ImportAsync("price", Body(Bodies.Ndjson(prices)), ImportContentTypes.Ndjson, new ImportParameters { Note = "list A" });

        Assert.True(created.Created);
        Assert.Equal(("price", 1, "full", 5L, "list A"), (created.Version.Dataset, created.Version.Version, created.Version.Kind, created.Version.Records, created.Version.Note));
        Assert.Equal(Bodies.HashOf(prices), created.Version.ContentHash);

        var again = await Api.ImportAsync("price", Body(Bodies.Csv(PriceRecord.CsvHeader, prices)), ImportContentTypes.Csv);
        Assert.False(again.Created);
        Assert.Equal(1, again.Version.Version);

        var read = await Api.GetVersionAsync("price", 1);
        Assert.Equal(created.Version with { Warnings = [] }, read with { Warnings = [] });
        Assert.Equal(["price-without-product"], read.Warnings.Select(w => w.Code));
        Assert.Equal(5, read.Warnings[0].Count);
        Assert.Equal(1, (await Api.LatestVersionAsync("price"))!.Version);
        Assert.Null(await Api.LatestVersionAsync("stock"));
        var summary = Assert.Single(await Api.ListDatasetsAsync(), d => d.Name == "price");
        Assert.Contains("amount", summary.Fields);
        Assert.Equal(1, summary.Latest!.Version);

        var page = await Api.ListRecordsAsync("price", 1, limit: 3);
        Assert.Equal(prices.Take(3).Select(p => p.Sku), page.Items.Select(i => i.Sku));
        Assert.Equal(prices[2].Sku, page.NextAfter);
        var rest = await Api.ListRecordsAsync("price", 1, after: page.NextAfter);
        Assert.Equal(prices.Skip(3).Select(p => p.Sku), rest.Items.Select(i => i.Sku));
        Assert.Null(rest.NextAfter);
        Assert.Equal(prices[0].Canonical, (await Api.GetRecordAsync("price", 1, prices[0].Sku)).Data.GetRawText());
    }

    [Fact]
    public async Task A_delta_on_a_base_makes_a_version_whose_diff_names_each_change()
    {
        var prices = Bodies.Prices(4);
        await Api.ImportAsync("price", Body(Bodies.Ndjson(prices)), ImportContentTypes.Ndjson);
        var changed = prices[1] with { Amount = 1.5m };
        var added = new PriceRecord("P-NEW/1%", 2m, "EUR");
        var delta = Bodies.Lines(changed.UpsertLine(), added.UpsertLine(), TestRecord.DeleteLine(prices[3].Sku));

        var result = await Api.ImportAsync("price", Body(delta), ImportContentTypes.Ndjson, new ImportParameters { Mode = ImportMode.Delta, Base = 1 });

        Assert.True(result.Created);
        Assert.Equal(("delta", 1, 1L, 1L, 1L), (result.Version.Kind, result.Version.BaseVersion, result.Version.Added, result.Version.Changed, result.Version.Removed));
        var diff = await Api.DiffAsync("price", 1, 2);
        Assert.Equal((1L, 1L, 1L), (diff.Added, diff.Changed, diff.Removed));
        Assert.Equal(
            [(changed.Sku, DiffChange.Changed), (prices[3].Sku, DiffChange.Removed), (added.Sku, DiffChange.Added)],
            diff.Items.Select(i => (i.Sku, i.Change)));
        var onlyRemoved = await Api.DiffAsync("price", 1, 2, DiffChange.Removed);
        Assert.Equal([prices[3].Sku], onlyRemoved.Items.Select(i => i.Sku));
        Assert.Null(onlyRemoved.Items[0].After);

        // A SKU with '/' and '%' survives the path.
        Assert.Equal(added.Canonical, (await Api.GetRecordAsync("price", 2, added.Sku)).Data.GetRawText());
        Assert.Equal([2, 1], (await Api.ListVersionsAsync("price")).Items.Select(v => v.Version));
    }

    [Fact]
    public async Task A_bad_line_throws_the_problem_with_its_line_field_and_count_and_creates_nothing()
    {
        var body = Bodies.Lines(Bodies.Prices(1)[0].NdjsonLine(), """{"sku":"P-2","amount":"cheap","currency":"EUR"}""");

        var error = await Assert.ThrowsAsync<ApiProblemException>(() => Api.ImportAsync("price", Body(body), ImportContentTypes.Ndjson));

        Assert.Equal((400, "Invalid import"), (error.Status, error.Title));
        var line = Assert.Single(error.Errors);
        Assert.Equal((2L, "amount"), (line.Line, line.Field));
        Assert.Equal(1, error.Problem.ErrorCount);
        Assert.Contains("Invalid import", error.Message);
        Assert.Null(await Api.LatestVersionAsync("price"));
    }

    [Fact]
    public async Task Unknown_names_wrong_parameters_and_media_types_throw_their_problems()
    {
        var missing = await Assert.ThrowsAsync<ApiProblemException>(() => Api.GetVersionAsync("price", 99));
        Assert.Equal(404, missing.Status);
        Assert.Contains("no version 99", missing.Detail);

        var dataset = await Assert.ThrowsAsync<ApiProblemException>(() => Api.ListVersionsAsync("nope"));
        Assert.Equal(404, dataset.Status);

        var limit = await Assert.ThrowsAsync<ApiProblemException>(() => Api.ListRecordsAsync("price", 1, limit: 0));
        Assert.Equal(400, limit.Status);

        var media = await Assert.ThrowsAsync<ApiProblemException>(() => Api.ImportAsync("price", Body("x"), "text/plain"));
        Assert.Equal(415, media.Status);

        await Api.ImportAsync("price", Body(Bodies.Ndjson(Bodies.Prices(2))), ImportContentTypes.Ndjson);
        var page = await Assert.ThrowsAsync<ApiProblemException>(() => Api.DiffAsync("price", 1, 1, limit: 5000));
        Assert.Equal(400, page.Status);
        Assert.Equal("limit", Assert.Single(page.Errors).Field);
    }
}
