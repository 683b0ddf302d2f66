using System.Net;
using System.Text;
using ControlPlane.Tests.Support;

namespace ControlPlane.Tests.Datasets;

/// <summary>Bodies as real clients write them: CRLF, a byte order mark, no final newline.</summary>
public sealed class BodyFormatTests(ControlPlaneFixture fixture) : DatabaseTest(fixture), IClassFixture<ControlPlaneFixture>
{
    private static readonly PriceRecord[] Records = [new("F-1", 1.10m, "EUR"), new("F-2", 2.20m, "USD"), new("F-3", 3.30m, "GBP")];

    [Theory]
    [InlineData("\r\n", false, true)]
    [InlineData("\n", false, false)]
    [InlineData("\r\n", true, false)]
    [InlineData("\n", true, true)]
    public async Task NDJSON_with_any_line_ending_byte_order_mark_and_final_newline_imports_the_same_records(string newline, bool byteOrderMark, bool finalNewline)
    {
        var body = string.Join(newline, Records.Select(r => r.NdjsonLine())) + (finalNewline ? newline : "");

        var version = await ImportBytesAsync(body, byteOrderMark, DatasetsClient.Ndjson);

        Assert.Equal(Bodies.HashOf(Records), version.ContentHash);
    }

    [Theory]
    [InlineData("\r\n", false, true)]
    [InlineData("\n", true, false)]
    public async Task CSV_with_any_line_ending_byte_order_mark_and_final_newline_imports_the_same_records(string newline, bool byteOrderMark, bool finalNewline)
    {
        var body = string.Join(newline, Records.Select(r => r.CsvLine()).Prepend(PriceRecord.CsvHeader)) + (finalNewline ? newline : "");

        var version = await ImportBytesAsync(body, byteOrderMark, DatasetsClient.Csv);

        Assert.Equal(Bodies.HashOf(Records), version.ContentHash);
    }

    [Fact]
    public async Task NDJSON_accepts_amounts_as_strings_and_nulls_as_absent_fields()
    {
        var body = Bodies.Lines("""{"sku":"F-1","amount":"1.10","currency":"EUR","listAmount":null}""", """{"sku":"F-2","amount":2.2E0,"currency":"USD"}""", """{"sku":"F-3","amount":3.30,"currency":"GBP"}""");

        var version = await Client.ImportAsync("price", body);

        Assert.Equal(Bodies.HashOf(Records), version.ContentHash);
    }

    [Fact]
    public async Task Publishing_an_empty_version_twice_answers_the_first_one()
    {
        await Client.ImportAsync("price", Bodies.Ndjson(Records));
        await Client.ImportAsync("price", "", "allowEmpty=true");

        var again = await Client.ImportAsync("price", "", "allowEmpty=true", expected: HttpStatusCode.OK);

        Assert.Equal(2, again.Version);
    }

    [Fact]
    public async Task Records_imported_after_an_empty_version_are_a_new_version_with_correct_history()
    {
        await Client.ImportAsync("price", Bodies.Ndjson(Records));
        await Client.ImportAsync("price", "", "allowEmpty=true");
        PriceRecord[] next = [Records[0], Records[1] with { Amount = 9m }, new("F-4", 4m, "EUR")];

        var version = await Client.ImportAsync("price", Bodies.Ndjson(next));

        Assert.Equal((3, 3L, 3L), (version.Version, version.Records, version.Added));
        Assert.Equal(Bodies.HashOf(next), version.ContentHash);
        Assert.Equal(3, (await Client.AllRecordsAsync("price", 1)).Count);
        Assert.Empty(await Client.AllRecordsAsync("price", 2));
        var (page, items) = await Client.AllDiffAsync("price", 1, 3);
        Assert.Equal((1L, 1L, 1L), (page.Added, page.Changed, page.Removed));
        Assert.Equal([("F-2", "changed"), ("F-3", "removed"), ("F-4", "added")], items.Select(i => (i.Sku, i.Change)));
    }

    private async Task<VersionDto> ImportBytesAsync(string body, bool byteOrderMark, string contentType)
    {
        byte[] bytes = [.. byteOrderMark ? Encoding.UTF8.GetPreamble() : [], .. Encoding.UTF8.GetBytes(body)];
        var content = new ByteArrayContent(bytes);
        content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue(contentType);
        using var response = await Client.PostVersionAsync("price", content);
        return await Http.ReadAsync<VersionDto>(response, HttpStatusCode.Created);
    }
}
