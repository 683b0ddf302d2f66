using System.Net;
using ControlPlane.Tests.Support;

namespace ControlPlane.Tests.Datasets;

public sealed class UnchangedImportTests(ControlPlaneFixture fixture) : DatabaseTest(fixture), IClassFixture<ControlPlaneFixture>
{
    [Fact]
    public async Task Importing_the_latest_content_again_answers_200_with_that_version_and_creates_nothing()
    {
        var records = Bodies.Prices(50);
        var created = await Client.ImportAsync("price", Bodies.Ndjson(records));
        var rows = await Database.CountRowsAsync("records_price");

        var again = await Client.ImportAsync("price", Bodies.Ndjson(records), expected: HttpStatusCode.OK);

        Assert.Equivalent(created, again, strict: true);
        Assert.Single(await Client.AllVersionsAsync("price"));
        Assert.Equal(rows, await Database.CountRowsAsync("records_price"));
    }

    [Fact]
    public async Task The_same_content_in_another_line_order_and_format_is_unchanged()
    {
        var records = Bodies.Prices(50);
        await Client.ImportAsync("price", Bodies.Ndjson(records));
        await Client.ImportAsync("price", Bodies.Ndjson(records.Take(49)));
        var rows = await Database.CountRowsAsync("records_price");

        var shuffled = records.Take(49).OrderByDescending(r => r.Sku, StringComparer.Ordinal).ToList();
        var reordered = await Client.ImportAsync("price", Bodies.Ndjson(shuffled), expected: HttpStatusCode.OK);
        var csv = await Client.ImportAsync("price", Bodies.Csv(PriceRecord.CsvHeader, shuffled), contentType: DatasetsClient.Csv, expected: HttpStatusCode.OK);

        Assert.Equal(2, reordered.Version);
        Assert.Equal(2, csv.Version);
        Assert.Equal(2, (await Client.AllVersionsAsync("price")).Count);
        Assert.Equal(rows, await Database.CountRowsAsync("records_price"));
    }

    [Fact]
    public async Task Content_equal_to_an_older_version_but_not_the_latest_creates_a_new_version()
    {
        var first = Bodies.Prices(10);
        await Client.ImportAsync("price", Bodies.Ndjson(first));
        await Client.ImportAsync("price", Bodies.Ndjson(first.Take(9)));

        var back = await Client.ImportAsync("price", Bodies.Ndjson(first));

        Assert.Equal(3, back.Version);
        Assert.Equal(Bodies.HashOf(first), back.ContentHash);
        Assert.Equal((1, 0, 0), (back.Added, back.Changed, back.Removed));
    }

    [Fact]
    public async Task A_change_set_that_changes_nothing_answers_200_with_the_latest_version()
    {
        var records = Bodies.Prices(5);
        await Client.ImportAsync("price", Bodies.Ndjson(records));
        var rows = await Database.CountRowsAsync("records_price");

        var same = await Client.ImportAsync("price", Bodies.Lines(records[0].UpsertLine(), records[3].UpsertLine()), "mode=delta&base=1", expected: HttpStatusCode.OK);

        Assert.Equal(1, same.Version);
        Assert.Single(await Client.AllVersionsAsync("price"));
        Assert.Equal(rows, await Database.CountRowsAsync("records_price"));
    }
}
