using System.Net;
using System.Net.Http.Json;
using ControlPlane.Tests.Datasets;
using ControlPlane.Tests.Releases;
using ControlPlane.Tests.Support;

namespace ControlPlane.Tests.Identity;

/// <summary>POSTs with an Idempotency-Key: the same request again gets the first answer; another request with the key is 409.</summary>
public sealed class IdempotencyTests(ControlPlaneFixture fixture) : IClassFixture<ControlPlaneFixture>
{
    private HttpClient Admin => fixture.Client;

    [Fact]
    public async Task Repeating_a_release_creation_with_the_same_key_returns_the_first_answer_and_creates_one_release()
    {
        var environment = await Admin.NewEnvironmentAsync("east");
        var versions = await Admin.ImportCatalogueAsync();
        var key = Guid.NewGuid().ToString();

        using var first = await SendAsync(Admin, "/api/v1/releases", key, new { environment, versions, note = "once" });
        using var second = await SendAsync(Admin, "/api/v1/releases", key, new { environment, versions, note = "once" });

        Assert.Equal(HttpStatusCode.Created, first.StatusCode);
        Assert.Equal(HttpStatusCode.Created, second.StatusCode);
        Assert.Equal(first.Headers.Location, second.Headers.Location);
        Assert.Equal(await first.Content.ReadAsStringAsync(), await second.Content.ReadAsStringAsync());
        Assert.Equal("true", second.Headers.GetValues("Idempotency-Replayed").Single());
        Assert.False(first.Headers.Contains("Idempotency-Replayed"));
        Assert.Single(await Admin.GetOkAsync<List<ReleaseViewDto>>($"/api/v1/releases?environment={environment}"));
    }

    [Fact]
    public async Task The_same_key_with_another_body_is_409_and_changes_nothing()
    {
        var environment = await Admin.NewEnvironmentAsync("east");
        var versions = await Admin.ImportCatalogueAsync();
        var key = Guid.NewGuid().ToString();
        using var first = await SendAsync(Admin, "/api/v1/releases", key, new { environment, versions, note = "first" });

        using var other = await SendAsync(Admin, "/api/v1/releases", key, new { environment, versions, note = "second" });

        Assert.Equal("Idempotency-Key", Assert.Single((await Problem.ReadAsync(other, HttpStatusCode.Conflict)).Errors).Field);
        Assert.Single(await Admin.GetOkAsync<List<ReleaseViewDto>>($"/api/v1/releases?environment={environment}"));
    }

    [Fact]
    public async Task Keys_are_scoped_per_actor()
    {
        var environment = await Admin.NewEnvironmentAsync("east");
        var versions = await Admin.ImportCatalogueAsync();
        using var other = await fixture.ClientAsAsync("other-ops", "operator");
        var key = Guid.NewGuid().ToString();

        using var mine = await SendAsync(Admin, "/api/v1/releases", key, new { environment, versions });
        using var theirs = await SendAsync(other, "/api/v1/releases", key, new { environment, versions });

        Assert.Equal(HttpStatusCode.Created, theirs.StatusCode);
        Assert.NotEqual(mine.Headers.Location, theirs.Headers.Location);
        Assert.Equal(2, (await Admin.GetOkAsync<List<ReleaseViewDto>>($"/api/v1/releases?environment={environment}")).Count);
    }

    [Fact]
    public async Task Concurrent_duplicates_start_one_publication()
    {
        var environment = await Admin.NewEnvironmentAsync("east");
        await TestAgent.RegisterAsync(Admin, environment + "-a", environment, "east");
        var release = await Admin.CreateReleaseAsync(environment, await Admin.ImportCatalogueAsync());
        var key = Guid.NewGuid().ToString();

        var responses = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => SendAsync(Admin, $"/api/v1/releases/{release}/publish", key, null)));

        // One runs; the others replay its answer or are told it is still in progress. None starts a second publication.
        Assert.All(responses, r => Assert.True(r.StatusCode is HttpStatusCode.Accepted or HttpStatusCode.Conflict, $"answered {(int)r.StatusCode}"));
        var accepted = responses.Where(r => r.StatusCode == HttpStatusCode.Accepted).Select(r => r.Headers.Location).Distinct().ToList();
        Assert.Single(accepted);
        foreach (var conflict in responses.Where(r => r.StatusCode == HttpStatusCode.Conflict))
        {
            Assert.Contains("still being handled", (await Problem.ReadAsync(conflict, HttpStatusCode.Conflict)).Detail, StringComparison.Ordinal);
        }

        var count = await fixture.Database.ScalarAsync<long>($"SELECT count(*) FROM publications WHERE release_id = {release}");
        Assert.Equal(1, count);
        foreach (var response in responses)
        {
            response.Dispose();
        }
    }

    [Fact]
    public async Task An_import_replays_without_importing_again()
    {
        var key = Guid.NewGuid().ToString();
        var body = Bodies.Ndjson([new StockRecord("IDEM-1", 1), new StockRecord("IDEM-2", 2)]);
        using var first = await SendRawAsync(Admin, "/api/v1/datasets/stock/versions?note=idem", key, body, DatasetsClient.Ndjson);
        var created = await Http.ReadAsync<VersionDto>(first, HttpStatusCode.Created);
        await Admin.ImportAsync("stock", Bodies.Ndjson([new StockRecord("IDEM-3", 3)]));

        using var again = await SendRawAsync(Admin, "/api/v1/datasets/stock/versions?note=idem", key, body, DatasetsClient.Ndjson);

        Assert.Equal(created.Version, (await Http.ReadAsync<VersionDto>(again, HttpStatusCode.Created)).Version);
        Assert.Equal(created.Version + 1, (await Admin.AllVersionsAsync("stock"))[0].Version);
    }

    [Fact]
    public async Task A_failed_request_keeps_its_answer_too_so_a_retry_with_the_key_gets_the_same_400()
    {
        var key = Guid.NewGuid().ToString();
        using var first = await SendAsync(Admin, "/api/v1/releases", key, new { versions = new { price = 1 } });
        using var again = await SendAsync(Admin, "/api/v1/releases", key, new { versions = new { price = 1 } });

        Assert.Equal("environment", Assert.Single((await Problem.ReadAsync(first, HttpStatusCode.BadRequest)).Errors).Field);
        Assert.Equal("environment", Assert.Single((await Problem.ReadAsync(again, HttpStatusCode.BadRequest)).Errors).Field);
        Assert.Equal("true", again.Headers.GetValues("Idempotency-Replayed").Single());
    }

    public static TheoryData<string> BadKeys => new()
    {
        "has space",
        "line\r\nX-Injected: yes",
        "tab\tkey",
        new string('k', 201),
        "non-ascii-\u00e9",
    };

    [Theory]
    [MemberData(nameof(BadKeys))]
    public async Task A_malformed_key_is_400_naming_the_header_and_nothing_runs(string key)
    {
        var environment = await Admin.NewEnvironmentAsync("east");
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/releases")
        {
            Content = JsonContent.Create(new { environment, versions = await Admin.ImportCatalogueAsync() }, options: Http.Json),
        };
        request.Headers.TryAddWithoutValidation("Idempotency-Key", key);

        using var response = await Admin.SendAsync(request);

        Assert.Equal("Idempotency-Key", Assert.Single((await Problem.ReadAsync(response, HttpStatusCode.BadRequest)).Errors).Field);
        Assert.False(response.Headers.Contains("X-Injected"));
        Assert.Empty(await Admin.GetOkAsync<List<ReleaseViewDto>>($"/api/v1/releases?environment={environment}"));
    }

    private static Task<HttpResponseMessage> SendAsync(HttpClient client, string url, string key, object? body)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, url);
        if (body is not null)
        {
            request.Content = JsonContent.Create(body, body.GetType(), options: Http.Json);
        }

        request.Headers.Add("Idempotency-Key", key);
        return client.SendAsync(request);
    }

    private static Task<HttpResponseMessage> SendRawAsync(HttpClient client, string url, string key, string body, string contentType)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = new StringContent(body, System.Text.Encoding.UTF8, contentType) };
        request.Headers.Add("Idempotency-Key", key);
        return client.SendAsync(request);
    }
}
