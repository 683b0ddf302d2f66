using System.Net;
using System.Net.Http.Json;
using ControlPlane.Contracts;
using ControlPlane.Tests.Datasets;
using ControlPlane.Tests.Support;

namespace ControlPlane.Tests.Releases;

/// <summary>The environments, releases and agents API as the tests call it.</summary>
public static class PublishApi
{
    /// <summary>A new environment with its own name, so that tests sharing a database do not see each other's releases.</summary>
    public static async Task<string> NewEnvironmentAsync(this HttpClient client, params string[] groups)
    {
        var name = "env-" + Guid.NewGuid().ToString("N")[..12];
        using var response = await client.PostAsJsonAsync("/api/v1/environments", new { name, groups }, Http.Json);
        await Http.ReadAsync<EnvironmentDto>(response, HttpStatusCode.Created);
        return name;
    }

    public static Task<EnvironmentDto> EnvironmentAsync(this HttpClient client, string name) =>
        client.GetOkAsync<EnvironmentDto>($"/api/v1/environments/{name}");

    public static async Task<AgentDto> AgentAsync(this HttpClient client, string environment, string agentId) =>
        (await client.GetOkAsync<List<AgentDto>>($"/api/v1/agents?environment={environment}")).Single(a => a.Id == agentId);

    /// <summary>A version of each dataset made from the seed; returns the versions as a release names them.</summary>
    public static async Task<Dictionary<string, int>> ImportCatalogueAsync(this HttpClient client, int seed = 1)
    {
        var random = new Random(seed);
        var prices = Bodies.Prices(20, seed: seed);
        var stock = prices.Select(p => new StockRecord(p.Sku, random.Next(0, 500), "W1"));
        var products = prices.Select(p => new ProductRecord(p.Sku, "Product " + p.Sku, "cat-" + random.Next(3)));
        return new Dictionary<string, int>
        {
            ["price"] = await ImportOrFindAsync(client, "price", Bodies.Ndjson(prices)),
            ["stock"] = await ImportOrFindAsync(client, "stock", Bodies.Ndjson(stock)),
            ["product"] = await ImportOrFindAsync(client, "product", Bodies.Ndjson(products)),
        };
    }

    /// <summary>The version holding exactly these records: a new one (201), or the latest when it is the same (200).</summary>
    private static async Task<int> ImportOrFindAsync(HttpClient client, string dataset, string body)
    {
        using var response = await client.PostVersionAsync(dataset, body);
        return (await Http.ReadAsync<VersionDto>(response, response.StatusCode == HttpStatusCode.OK ? HttpStatusCode.OK : HttpStatusCode.Created)).Version;
    }

    public static async Task<HttpResponseMessage> PostReleaseAsync(this HttpClient client, object request) =>
        await client.PostAsJsonAsync("/api/v1/releases", request, Http.Json);

    public static async Task<long> CreateReleaseAsync(this HttpClient client, string environment, Dictionary<string, int> versions)
    {
        using var response = await client.PostReleaseAsync(new { environment, versions });
        return (await Http.ReadAsync<ReleaseViewDto>(response, HttpStatusCode.Created)).Release.Id;
    }

    public static Task<ReleaseViewDto> ReleaseAsync(this HttpClient client, long id) => client.GetOkAsync<ReleaseViewDto>($"/api/v1/releases/{id}");

    /// <summary>The latest publication of a release, which must have one.</summary>
    public static async Task<PublicationDto> PublicationOfAsync(this HttpClient client, long releaseId) =>
        (await client.ReleaseAsync(releaseId)).Publication ?? throw new InvalidOperationException($"Release {releaseId} has no publication.");

    public static Task<HttpResponseMessage> PostPublishAsync(this HttpClient client, long releaseId) =>
        client.PostAsync($"/api/v1/releases/{releaseId}/publish", content: null);

    public static async Task<PublicationDto> PublishAsync(this HttpClient client, long releaseId)
    {
        using var response = await client.PostPublishAsync(releaseId);
        var publication = await Http.ReadAsync<PublicationDto>(response, HttpStatusCode.Accepted);
        Assert.Equal($"/api/v1/publications/{publication.Id}", response.Headers.Location?.OriginalString);
        return publication;
    }

    /// <summary>POST .../rollback, with no body at all when <paramref name="toRelease"/> is null.</summary>
    public static Task<HttpResponseMessage> PostRollbackAsync(this HttpClient client, string environment, long? toRelease = null) =>
        toRelease is null
            ? client.PostAsync($"/api/v1/environments/{environment}/rollback", content: null)
            : client.PostAsJsonAsync($"/api/v1/environments/{environment}/rollback", new { toRelease }, Http.Json);

    public static async Task<PublicationDto> RollbackAsync(this HttpClient client, string environment, long? toRelease = null)
    {
        using var response = await client.PostRollbackAsync(environment, toRelease);
        return await Http.ReadAsync<PublicationDto>(response, HttpStatusCode.Accepted);
    }

    /// <summary>
    /// Setup for tests about what comes after: publishes and has every agent stage and switch, as agents do, and
    /// asserts that the release went live. With <paramref name="holdFirst"/> the agents hold the release before
    /// the publish, so that it goes straight to the switch (where a real clock leaves staging no time).
    /// </summary>
    public static async Task<PublicationDto> MakeLiveAsync(this HttpClient client, long releaseId, IReadOnlyList<TestAgent> agents, bool holdFirst = false)
    {
        if (holdFirst)
        {
            foreach (var agent in agents)
            {
                await agent.HoldAsync(releaseId);
            }
        }

        await client.PublishAsync(releaseId);
        return await client.StageAndSwitchAsync(releaseId, agents);
    }

    /// <summary>
    /// For a release being published: every agent reports it held, then switched at the generation the barrier gave;
    /// asserts that it went live.
    /// </summary>
    public static async Task<PublicationDto> StageAndSwitchAsync(this HttpClient client, long releaseId, IReadOnlyList<TestAgent> agents)
    {
        foreach (var agent in agents)
        {
            await agent.HoldAsync(releaseId);
        }

        var switching = await client.PublicationOfAsync(releaseId);
        Assert.True(switching.State == "Switching", $"Release {releaseId} is {switching.State} once every agent holds it: {switching.Reason}");
        foreach (var agent in agents)
        {
            await agent.SwitchAsync(releaseId, switching.Generation!.Value);
        }

        var live = await client.PublicationOfAsync(releaseId);
        Assert.Equal("Live", live.State);
        return live;
    }
}
