using System.Net;
using System.Text;
using ControlPlane.Tests.Support;

namespace ControlPlane.Tests.Datasets;

/// <summary>The application behind Kestrel with a small import body limit, so the limit can be crossed cheaply.</summary>
public sealed class SmallBodyLimitFixture : ControlPlaneFixture
{
    public const int Limit = 4096;

    protected override bool UseKestrel => true;

    protected override IEnumerable<KeyValuePair<string, string?>> Settings =>
        [KeyValuePair.Create<string, string?>("Import:MaxBodyBytes", Limit.ToString(System.Globalization.CultureInfo.InvariantCulture))];
}

public sealed class BodyLimitTests(SmallBodyLimitFixture fixture) : DatabaseTest(fixture), IClassFixture<SmallBodyLimitFixture>
{
    [Fact]
    public async Task A_body_whose_Content_Length_is_over_the_limit_is_413()
    {
        var body = Bodies.Ndjson(Bodies.Prices(200));
        Assert.True(Encoding.UTF8.GetByteCount(body) > SmallBodyLimitFixture.Limit);

        using var response = await Client.PostVersionAsync("price", body);

        await Problem.ReadAsync(response, HttpStatusCode.RequestEntityTooLarge);
        await AssertNothingStoredAsync();
    }

    [Theory]
    [InlineData(DatasetsClient.Ndjson)]
    [InlineData(DatasetsClient.Csv)]
    public async Task A_streamed_body_without_Content_Length_over_the_limit_is_413(string contentType)
    {
        var prices = Bodies.Prices(200);
        List<string> lines = contentType == DatasetsClient.Csv
            ? [PriceRecord.CsvHeader, .. prices.Select(p => p.CsvLine())]
            : [.. prices.Select(p => p.NdjsonLine())];
        using var content = new StreamedContent(lines, contentType);
        Assert.Null(content.Headers.ContentLength);

        using var response = await Client.PostVersionAsync("price", content);

        await Problem.ReadAsync(response, HttpStatusCode.RequestEntityTooLarge);
        await AssertNothingStoredAsync();
    }

    [Fact]
    public async Task A_streamed_change_set_over_the_limit_is_413()
    {
        await Client.ImportAsync("price", Bodies.Ndjson(Bodies.Prices(5)));
        using var content = new StreamedContent([.. Bodies.Prices(200, "N-").Select(p => p.UpsertLine())], DatasetsClient.Ndjson);

        using var response = await Client.PostVersionAsync("price", content, "mode=delta&base=1");

        await Problem.ReadAsync(response, HttpStatusCode.RequestEntityTooLarge);
        Assert.Single(await Client.AllVersionsAsync("price"));
    }

    [Fact]
    public async Task A_streamed_body_under_the_limit_is_imported()
    {
        var prices = Bodies.Prices(40);
        Assert.True(Encoding.UTF8.GetByteCount(Bodies.Ndjson(prices)) < SmallBodyLimitFixture.Limit);
        using var content = new StreamedContent([.. prices.Select(p => p.NdjsonLine())], DatasetsClient.Ndjson);

        using var response = await Client.PostVersionAsync("price", content);

        var version = await Http.ReadAsync<VersionDto>(response, HttpStatusCode.Created);
        Assert.Equal(Bodies.HashOf(prices), version.ContentHash);
    }

    private async Task AssertNothingStoredAsync()
    {
        Assert.Empty(await Client.AllVersionsAsync("price"));
        Assert.Equal(0, await Database.CountRowsAsync("records"));
    }
}
