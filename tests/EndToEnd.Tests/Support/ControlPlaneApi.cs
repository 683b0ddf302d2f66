using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using ControlPlane.Tests.Support;

namespace EndToEnd.Tests.Support;

/// <summary>The control plane's API as an operator calls it.</summary>
public sealed class ControlPlaneApi(Func<HttpClient> client)
{
    private HttpClient Http => client();

    /// <summary>Imports NDJSON lines (a full snapshot unless the query says otherwise); 201 or 200 (unchanged).</summary>
    public async Task<VersionDto> ImportAsync(string dataset, IEnumerable<string> lines, string query = "")
    {
        using var content = new StringContent(string.Join('\n', lines) + "\n", Encoding.UTF8, "application/x-ndjson");
        using var response = await Http.PostAsync($"api/v1/datasets/{dataset}/versions{(query.Length > 0 ? "?" + query : "")}", content);
        var expected = response.StatusCode == HttpStatusCode.OK ? HttpStatusCode.OK : HttpStatusCode.Created;
        return await ControlPlane.Tests.Support.Http.ReadAsync<VersionDto>(response, expected);
    }

    public Task<VersionDto> VersionAsync(string dataset, int version) => Http.GetOkAsync<VersionDto>($"api/v1/datasets/{dataset}/versions/{version}");

    /// <summary>Every record of a version, SKU to its JSON, following the pages.</summary>
    public async Task<Dictionary<string, JsonNode>> RecordsAsync(string dataset, int version)
    {
        var records = new Dictionary<string, JsonNode>(StringComparer.Ordinal);
        string? after = null;
        do
        {
            var page = await Http.GetOkAsync<RecordPageDto>(
                $"api/v1/datasets/{dataset}/versions/{version}/records?limit=1000" + (after is null ? "" : "&after=" + Uri.EscapeDataString(after)));
            foreach (var item in page.Items)
            {
                records.Add(item.Sku, JsonNode.Parse(item.Data.GetRawText())!);
            }

            after = page.NextAfter;
        }
        while (after is not null);

        return records;
    }

    public async Task<long> CreateReleaseAsync(string environment, IReadOnlyDictionary<string, int> versions, string? note = null)
    {
        using var response = await Http.PostAsJsonAsync("api/v1/releases", new { environment, versions, note }, ControlPlane.Tests.Support.Http.Json);
        return (await ControlPlane.Tests.Support.Http.ReadAsync<ReleaseViewDto>(response, HttpStatusCode.Created)).Release.Id;
    }

    public Task<ReleaseViewDto> ReleaseAsync(long id) => Http.GetOkAsync<ReleaseViewDto>($"api/v1/releases/{id}");

    public Task<HttpResponseMessage> PostPublishAsync(long releaseId) => Http.PostAsync($"api/v1/releases/{releaseId}/publish", null);

    /// <summary>Starts publishing a release: 202 with the publication.</summary>
    public async Task<PublicationDto> PublishAsync(long releaseId)
    {
        using var response = await PostPublishAsync(releaseId);
        return await ControlPlane.Tests.Support.Http.ReadAsync<PublicationDto>(response, HttpStatusCode.Accepted);
    }

    /// <summary>POST .../rollback, with <c>{"toRelease":N}</c> when <paramref name="toRelease"/> is given, else without a body.</summary>
    public Task<HttpResponseMessage> PostRollbackAsync(string environment, long? toRelease = null) =>
        toRelease is null
            ? Http.PostAsync($"api/v1/environments/{environment}/rollback", null)
            : Http.PostAsJsonAsync($"api/v1/environments/{environment}/rollback", new { toRelease }, ControlPlane.Tests.Support.Http.Json);

    public async Task<PublicationDto> RollbackAsync(string environment, long? toRelease = null)
    {
        using var response = await PostRollbackAsync(environment, toRelease);
        return await ControlPlane.Tests.Support.Http.ReadAsync<PublicationDto>(response, HttpStatusCode.Accepted);
    }

    public Task<PublicationDto> PublicationAsync(long id) => Http.GetOkAsync<PublicationDto>($"api/v1/publications/{id}");

    public Task<EnvironmentViewDto> EnvironmentAsync(string name) => Http.GetOkAsync<EnvironmentViewDto>($"api/v1/environments/{name}");

    /// <summary>Waits until the publication ends and asserts that it went live.</summary>
    public async Task<PublicationDto> WaitLiveAsync(long publicationId)
    {
        var publication = await WaitEndedAsync(publicationId);
        Assert.True(publication.State == "Live", $"Publication {publicationId} ended {publication.State}: {publication.Reason}");
        return publication;
    }

    /// <summary>Waits until the publication is no longer in flight (Live, Failed, Partial, ...).</summary>
    public Task<PublicationDto> WaitEndedAsync(long publicationId) =>
        Eventually.ReadUntilAsync(
            () => PublicationAsync(publicationId),
            p => p.State is not ("Staging" or "Staged" or "Switching"),
            $"publication {publicationId} ends");
}
