using System.Net;
using System.Text;
using ControlPlane.Tests.Support;

namespace ControlPlane.Tests.Datasets;

/// <summary>The datasets API as the tests call it.</summary>
public static class DatasetsClient
{
    public const string Ndjson = "application/x-ndjson";
    public const string Csv = "text/csv";

    public static async Task<HttpResponseMessage> PostVersionAsync(
        this HttpClient client, string dataset, string body, string query = "", string contentType = Ndjson, string? actor = null) =>
        await client.PostVersionAsync(dataset, new StringContent(body, Encoding.UTF8, contentType), query, actor);

    public static async Task<HttpResponseMessage> PostVersionAsync(
        this HttpClient client, string dataset, HttpContent content, string query = "", string? actor = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, $"/api/v1/datasets/{dataset}/versions{(query.Length > 0 ? "?" + query : "")}")
        {
            Content = content,
        };
        if (actor is not null)
        {
            // The creator is whoever authenticated: an operator token acting as that name, made by the admin client.
            request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", await client.CreateTokenAsync(actor, "operator"));
        }

        return await client.SendAsync(request);
    }

    /// <summary>Imports and asserts the expected status (201 unless told otherwise); returns the version answered.</summary>
    public static async Task<VersionDto> ImportAsync(
        this HttpClient client, string dataset, string body, string query = "", string contentType = Ndjson, HttpStatusCode expected = HttpStatusCode.Created)
    {
        using var response = await client.PostVersionAsync(dataset, body, query, contentType);
        return await Http.ReadAsync<VersionDto>(response, expected);
    }

    public static async Task<List<VersionDto>> AllVersionsAsync(this HttpClient client, string dataset)
    {
        var page = await client.GetOkAsync<VersionPageDto>($"/api/v1/datasets/{dataset}/versions?limit=1000");
        Assert.Null(page.NextBefore);
        return page.Items;
    }

    /// <summary>Every record of a version, following <c>nextAfter</c> page by page.</summary>
    public static async Task<List<RecordDto>> AllRecordsAsync(this HttpClient client, string dataset, int version, int limit = 1000)
    {
        var all = new List<RecordDto>();
        string? after = null;
        do
        {
            var url = $"/api/v1/datasets/{dataset}/versions/{version}/records?limit={limit}" + (after is null ? "" : "&after=" + Uri.EscapeDataString(after));
            var page = await client.GetOkAsync<RecordPageDto>(url);
            Assert.True(page.Items.Count <= limit, $"a page holds at most {limit} items");
            Assert.True(page.NextAfter is null || page.NextAfter == page.Items[^1].Sku, "nextAfter is the last SKU of the page");
            all.AddRange(page.Items);
            after = page.NextAfter;
        }
        while (after is not null);

        return all;
    }

    /// <summary>A whole diff, following <c>nextAfter</c>; returns the first page (for the counts) and every item.</summary>
    public static async Task<(DiffPageDto First, List<DiffItemDto> Items)> AllDiffAsync(
        this HttpClient client, string dataset, int from, int to, string? change = null, int limit = 1000)
    {
        var items = new List<DiffItemDto>();
        DiffPageDto? first = null;
        string? after = null;
        do
        {
            var url = $"/api/v1/datasets/{dataset}/diff?from={from}&to={to}&limit={limit}"
                + (change is null ? "" : "&change=" + change)
                + (after is null ? "" : "&after=" + Uri.EscapeDataString(after));
            var page = await client.GetOkAsync<DiffPageDto>(url);
            Assert.True(page.Items.Count <= limit, $"a page holds at most {limit} items");
            Assert.True(page.NextAfter is null || page.NextAfter == page.Items[^1].Sku, "nextAfter is the last SKU of the page");
            first ??= page;
            items.AddRange(page.Items);
            after = page.NextAfter;
        }
        while (after is not null);

        return (first!, items);
    }
}
