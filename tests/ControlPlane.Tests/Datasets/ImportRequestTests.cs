using System.Net;
using System.Net.Http.Headers;
using System.Text;
using ControlPlane.Tests.Support;

namespace ControlPlane.Tests.Datasets;

public sealed class ImportRequestTests(ControlPlaneFixture fixture) : DatabaseTest(fixture), IClassFixture<ControlPlaneFixture>
{
    [Fact]
    public async Task An_unknown_dataset_is_not_found()
    {
        using var import = await Client.PostVersionAsync("prices", Bodies.Ndjson([new PriceRecord("A", 1m, "EUR")]));
        var problem = await Problem.ReadAsync(import, HttpStatusCode.NotFound);
        Assert.Contains("prices", problem.Detail, StringComparison.Ordinal);

        using var versions = await Client.GetAsync("/api/v1/datasets/prices/versions");
        await Problem.ReadAsync(versions, HttpStatusCode.NotFound);
        using var diff = await Client.GetAsync("/api/v1/datasets/prices/diff?from=1&to=2");
        await Problem.ReadAsync(diff, HttpStatusCode.NotFound);
    }

    [Theory]
    [InlineData("text/plain")]
    [InlineData("application/json")]
    [InlineData(null)]
    public async Task An_unsupported_content_type_is_415(string? contentType)
    {
        var content = new ByteArrayContent(Encoding.UTF8.GetBytes(Bodies.Ndjson([new PriceRecord("A", 1m, "EUR")])));
        if (contentType is not null)
        {
            content.Headers.ContentType = new MediaTypeHeaderValue(contentType);
        }

        using var response = await Client.PostVersionAsync("price", content);

        await Problem.ReadAsync(response, HttpStatusCode.UnsupportedMediaType);
        Assert.Empty(await Client.AllVersionsAsync("price"));
    }

    [Fact]
    public async Task An_empty_full_snapshot_is_refused()
    {
        // The error concerns the body as a whole, not one of its lines.
        await RejectedImport.AssertAsync(Client, Database, "price", "", "", DatasetsClient.Ndjson, (0, null));
        await RejectedImport.AssertAsync(Client, Database, "price", "sku,amount,currency\r\n", "", DatasetsClient.Csv, (0, null));
    }

    [Fact]
    public async Task An_empty_full_snapshot_with_allowEmpty_is_published_and_empties_the_dataset()
    {
        await Client.ImportAsync("price", Bodies.Ndjson(Bodies.Prices(3)));

        var empty = await Client.ImportAsync("price", "", "allowEmpty=true");

        Assert.Equal((2, 0L, 3L), (empty.Version, empty.Records, empty.Removed));
        Assert.Empty(await Client.AllRecordsAsync("price", 2));
        Assert.Equal(3, (await Client.AllRecordsAsync("price", 1)).Count);
    }

    [Theory]
    [InlineData("/api/v1/datasets/price/versions?limit=0")]
    [InlineData("/api/v1/datasets/price/versions?limit=1001")]
    [InlineData("/api/v1/datasets/price/versions/1/records?limit=0")]
    [InlineData("/api/v1/datasets/price/diff?from=1&to=1&limit=5000")]
    public async Task A_page_size_outside_1_to_1000_is_a_bad_request(string url)
    {
        await Client.ImportAsync("price", Bodies.Ndjson(Bodies.Prices(1)));

        using var response = await Client.GetAsync(url);

        var problem = await Problem.ReadAsync(response, HttpStatusCode.BadRequest);
        Assert.Equal("limit", Assert.Single(problem.Errors).Field);
    }
}
