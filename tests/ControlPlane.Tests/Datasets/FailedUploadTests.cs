using ControlPlane.Tests.Support;

namespace ControlPlane.Tests.Datasets;

public sealed class FailedUploadTests(KestrelFixture fixture) : DatabaseTest(fixture), IClassFixture<KestrelFixture>
{
    [Theory]
    [InlineData(DatasetsClient.Ndjson)]
    [InlineData(DatasetsClient.Csv)]
    public async Task A_client_failing_mid_upload_leaves_no_version_and_no_rows(string contentType)
    {
        var prices = Bodies.Prices(2000);
        List<string> lines = contentType == DatasetsClient.Csv
            ? [PriceRecord.CsvHeader, .. prices.Select(p => p.CsvLine())]
            : [.. prices.Select(p => p.NdjsonLine())];

        await SendFailingAsync(new StreamedContent(lines, contentType, failAfterLines: 1500), "");

        Assert.Empty(await Client.AllVersionsAsync("price"));
        Assert.Equal(0, await Database.CountRowsAsync("records"));
    }

    [Fact]
    public async Task A_client_failing_mid_reimport_leaves_the_previous_version_as_it_was()
    {
        var first = Bodies.Prices(500);
        await Client.ImportAsync("price", Bodies.Ndjson(first));
        var rows = await Database.CountRowsAsync("records");

        await SendFailingAsync(new StreamedContent([.. Bodies.Prices(2000, seed: 3).Select(p => p.NdjsonLine())], DatasetsClient.Ndjson, failAfterLines: 1500), "");

        Assert.Single(await Client.AllVersionsAsync("price"));
        Assert.Equal(rows, await Database.CountRowsAsync("records"));
        Assert.Equal(0, await Database.ScalarAsync<long>("SELECT count(*) FROM records WHERE to_version IS NOT NULL"));
    }

    [Fact]
    public async Task A_client_failing_mid_change_set_leaves_no_version()
    {
        await Client.ImportAsync("price", Bodies.Ndjson(Bodies.Prices(10)));
        var rows = await Database.CountRowsAsync("records");

        await SendFailingAsync(new StreamedContent([.. Bodies.Prices(100, "N-").Select(p => p.UpsertLine())], DatasetsClient.Ndjson, failAfterLines: 50), "mode=delta&base=1");

        Assert.Single(await Client.AllVersionsAsync("price"));
        Assert.Equal(rows, await Database.CountRowsAsync("records"));
    }

    /// <summary>
    /// Sends a body that fails part-way and waits until the server has finished with the request (the client
    /// may give up before the server does), then checks that the server did not accept it.
    /// </summary>
    private async Task SendFailingAsync(StreamedContent content, string query)
    {
        var requests = Fixture.Factory.Requests;
        var before = requests.Completed;
        using (content)
        {
            try
            {
                using var response = await Client.PostVersionAsync("price", content, query);
                var body = await response.Content.ReadAsStringAsync();
                Assert.True((int)response.StatusCode >= 400, $"A failed upload must not be accepted; got {(int)response.StatusCode}: {body}");
            }
            catch (HttpRequestException)
            {
                // The client's own failure, as expected of a client that dies mid-upload.
            }
        }

        await requests.WaitForCompletedAsync(before + 1);
        Assert.True(requests.Statuses[^1] >= 400, $"The server must not accept a failed upload; it answered {requests.Statuses[^1]}.");
    }
}
