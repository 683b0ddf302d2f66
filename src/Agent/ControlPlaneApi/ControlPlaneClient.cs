using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using ControlPlane.Contracts;

namespace Agent.ControlPlaneApi;

/// <summary>
/// The agent's side of the pull protocol (docs/publish.md): the agent calls the control plane, never the other way (I4).
/// Failures surface as exceptions; <see cref="AgentLoop"/> retries them with backoff.
/// </summary>
public sealed class ControlPlaneClient(HttpClient http)
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    /// <summary>Sets the base address and bearer token of an <see cref="HttpClient"/> for the control plane.</summary>
    public static HttpClient Configure(HttpClient http, string controlPlaneUrl, string? token)
    {
        http.BaseAddress = new Uri(controlPlaneUrl.TrimEnd('/') + "/");
        if (!string.IsNullOrEmpty(token))
        {
            http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        // Longer than the server holds a desired-state request (30 s by default).
        http.Timeout = TimeSpan.FromSeconds(120);
        return http;
    }

    public async Task<AgentRegistered> RegisterAsync(AgentRegistration registration, CancellationToken cancellationToken)
    {
        using var response = await http.PostAsJsonAsync("api/v1/agents/register", registration, Json, cancellationToken);
        await EnsureSuccessAsync(response, cancellationToken);
        return await response.Content.ReadFromJsonAsync<AgentRegistered>(Json, cancellationToken)
            ?? throw new InvalidOperationException("The registration answer was empty.");
    }

    /// <summary>Sends a report; returns the control plane's clock when it answered (null if it did not say).</summary>
    public async Task<DateTimeOffset?> ReportAsync(string agentId, AgentReport report, CancellationToken cancellationToken)
    {
        using var response = await http.PostAsJsonAsync($"api/v1/agents/{Uri.EscapeDataString(agentId)}/report", report, Json, cancellationToken);
        await EnsureSuccessAsync(response, cancellationToken);
        return response.Headers.TryGetValues(ClockHeaders.ServerTime, out var values)
            && DateTimeOffset.TryParse(values.FirstOrDefault(), CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind, out var serverTime)
            ? serverTime
            : null;
    }

    /// <summary>
    /// Long-polls the desired state: the server answers when it differs from <paramref name="knownETag"/> or its wait
    /// ends. Returns null when it is unchanged (304 or 204, or the same ETag).
    /// </summary>
    public async Task<DesiredState?> GetDesiredAsync(string agentId, string? knownETag, CancellationToken cancellationToken)
    {
        var url = $"api/v1/agents/{Uri.EscapeDataString(agentId)}/desired";
        if (knownETag is not null)
        {
            url += "?known=" + Uri.EscapeDataString(knownETag);
        }

        using var response = await http.GetAsync(url, cancellationToken);
        if (response.StatusCode is HttpStatusCode.NotModified or HttpStatusCode.NoContent)
        {
            return null;
        }

        await EnsureSuccessAsync(response, cancellationToken);
        var desired = await response.Content.ReadFromJsonAsync<DesiredState>(Json, cancellationToken)
            ?? throw new InvalidOperationException("The desired state was empty.");
        return desired.ETag == knownETag ? null : desired;
    }

    /// <summary>
    /// One chunk of version <paramref name="version"/>'s changes since version <paramref name="since"/> (every record
    /// when null), after SKU <paramref name="after"/>. The body is checked against its SHA-256 header before it is parsed.
    /// </summary>
    public async Task<ChangeChunk> GetChangesAsync(string dataset, int version, int? since, string? after, int limit, CancellationToken cancellationToken)
    {
        var url = new StringBuilder().Append(CultureInfo.InvariantCulture, $"api/v1/datasets/{Uri.EscapeDataString(dataset)}/versions/{version}/changes?limit={limit}");
        if (since is not null)
        {
            url.Append(CultureInfo.InvariantCulture, $"&since={since}");
        }

        if (after is not null)
        {
            url.Append("&after=").Append(Uri.EscapeDataString(after));
        }

        using var response = await http.GetAsync(url.ToString(), cancellationToken);
        await EnsureSuccessAsync(response, cancellationToken);
        var body = await response.Content.ReadAsByteArrayAsync(cancellationToken);
        var declared = response.Headers.TryGetValues(ChunkHeaders.Sha256, out var values) ? values.FirstOrDefault() : null;
        if (declared is null)
        {
            throw new ChunkChecksumException($"The chunk of {dataset} v{version} has no {ChunkHeaders.Sha256} header.");
        }

        if (!string.Equals(declared, Convert.ToHexStringLower(SHA256.HashData(body)), StringComparison.OrdinalIgnoreCase))
        {
            throw new ChunkChecksumException($"The chunk of {dataset} v{version} after '{after}' does not match its {ChunkHeaders.Sha256}.");
        }

        // The header is percent-encoded (a SKU may hold characters a header cannot); the cursor is the SKU itself.
        var nextAfter = response.Headers.TryGetValues(ChunkHeaders.NextAfter, out var next) && next.FirstOrDefault() is { } encoded
            ? Uri.UnescapeDataString(encoded)
            : null;
        return new ChangeChunk(ChangeLines.Parse(body), nextAfter, body.Length);
    }

    /// <summary>
    /// Long-polls a dataset's live changes after <paramref name="after"/> (the position applied in Redis): answers at once
    /// when there are some, else when the server's wait ends, with none.
    /// </summary>
    public async Task<LiveChangePage> GetLiveChangesAsync(
        string agentId, string dataset, long after, int limit, int waitSeconds, CancellationToken cancellationToken)
    {
        var url = string.Create(CultureInfo.InvariantCulture,
            $"api/v1/agents/{Uri.EscapeDataString(agentId)}/changes?dataset={Uri.EscapeDataString(dataset)}&after={after}&limit={limit}&waitSeconds={waitSeconds}");
        using var response = await http.GetAsync(url, cancellationToken);
        await EnsureSuccessAsync(response, cancellationToken);
        return await response.Content.ReadFromJsonAsync<LiveChangePage>(Json, cancellationToken)
            ?? throw new InvalidOperationException("The change page was empty.");
    }

    private static async Task EnsureSuccessAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        if (response.IsSuccessStatusCode)
        {
            return;
        }

        // The status and the problem's title are enough to act on; bodies are not logged whole.
        var body = await response.Content.ReadAsStringAsync(cancellationToken);
        var title = TitleOf(body);
        throw new HttpRequestException(
            $"{response.RequestMessage?.Method} {response.RequestMessage?.RequestUri?.AbsolutePath} answered {(int)response.StatusCode}{(title is null ? "" : ": " + title)}",
            null, response.StatusCode);
    }

    private static string? TitleOf(string body)
    {
        try
        {
            using var document = JsonDocument.Parse(body);
            return document.RootElement.ValueKind == JsonValueKind.Object && document.RootElement.TryGetProperty("detail", out var detail)
                ? detail.GetString()
                : document.RootElement.TryGetProperty("title", out var title) ? title.GetString() : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
