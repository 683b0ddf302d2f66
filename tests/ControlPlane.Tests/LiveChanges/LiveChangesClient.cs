using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using ControlPlane.Contracts;
using ControlPlane.LiveChanges;
using ControlPlane.Tests.Datasets;
using ControlPlane.Tests.Releases;
using ControlPlane.Tests.Support;

namespace ControlPlane.Tests.LiveChanges;

/// <summary>The live changes API as the tests call it.</summary>
public static class LiveChangesClient
{
    public static string Adjust(string sku, long delta) => new JsonObject { ["op"] = "adjust", ["sku"] = sku, ["delta"] = delta }.ToJsonString();

    public static async Task<HttpResponseMessage> PostChangesAsync(this HttpClient client, string dataset, string body, string? idempotencyKey = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, $"/api/v1/datasets/{dataset}/changes")
        {
            Content = new StringContent(body, Encoding.UTF8, DatasetsClient.Ndjson),
        };
        if (idempotencyKey is not null)
        {
            request.Headers.Add("Idempotency-Key", idempotencyKey);
        }

        return await client.SendAsync(request);
    }

    /// <summary>Posts a batch and expects 200 with its line-by-line answer.</summary>
    public static async Task<ChangeBatchAnswer> ChangesAsync(this HttpClient client, string dataset, params IEnumerable<string> lines)
    {
        using var response = await client.PostChangesAsync(dataset, Bodies.Lines(lines));
        return await Http.ReadAsync<ChangeBatchAnswer>(response, HttpStatusCode.OK);
    }

    public static async Task<List<ChangeEntry>> ChangeLogAsync(this HttpClient client, string dataset, string? sku = null)
    {
        var page = await client.GetOkAsync<ChangeLogPage>($"/api/v1/datasets/{dataset}/changes?limit=1000{(sku is null ? "" : "&sku=" + Uri.EscapeDataString(sku))}");
        return [.. page.Items];
    }

    public static Task<ChangeStreamView> StreamAsync(this HttpClient client, string dataset) =>
        client.GetOkAsync<ChangeStreamView>($"/api/v1/datasets/{dataset}/changes/stream");

    /// <summary>The agents' pull, as the agent itself: the route takes only that agent's own token.</summary>
    public static async Task<LiveChangePage> PullAsync(this HttpClient client, TestAgent agent, string dataset, long after, int waitSeconds = 0, int limit = 1000)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/api/v1/agents/{agent.Id}/changes?dataset={dataset}&after={after}&limit={limit}&waitSeconds={waitSeconds}");
        request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", await agent.TokenAsync());
        using var response = await client.SendAsync(request);
        return await Http.ReadAsync<LiveChangePage>(response, HttpStatusCode.OK);
    }

    /// <summary>The record of a SKU in a version, or null when absent.</summary>
    public static async Task<string?> RecordAtAsync(this HttpClient client, string dataset, int version, string sku)
    {
        using var response = await client.GetAsync($"/api/v1/datasets/{dataset}/versions/{version}/records/{Uri.EscapeDataString(sku)}");
        if (response.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }

        var item = await Http.ReadAsync<RecordDto>(response, HttpStatusCode.OK);
        return ExpectedCanonicalJson.Of(item.Data);
    }
}

/// <summary>A fresh database per class, with the change log emptied before each test and automatic folding off.</summary>
public sealed class LiveChangesFixture : ControlPlaneFixture
{
    protected override IEnumerable<KeyValuePair<string, string?>> Settings =>
    [
        new("Changes:AutoFold", "false"),
        new("Agents:LongPollSeconds", "10"),
        new("Changes:KeepFoldedFor", "00:00:00"),
    ];

    public async Task ResetChangesAsync()
    {
        await ResetAsync();
        await Database.ExecuteAsync("TRUNCATE changes, change_batches, agent_change_positions");
        await Database.ExecuteAsync("UPDATE change_streams SET last_seq = 0, allow_oversell = false");
    }
}
