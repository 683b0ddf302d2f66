using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;

namespace ControlPlane.Client;

/// <summary>
/// Typed client of the control plane's HTTP API (/api/v1), shared by the CLI and the admin UI. Every method throws
/// <see cref="ApiProblemException"/> when the server answers with an error, and <see cref="HttpRequestException"/>
/// when it cannot be reached. The <see cref="HttpClient"/>'s BaseAddress is the control plane's root URL.
/// </summary>
public sealed partial class ControlPlaneClient(HttpClient http, ControlPlaneClientOptions? options = null)
{
    private readonly ControlPlaneClientOptions _options = options ?? new ControlPlaneClientOptions();

    public HttpClient Http => http;

    public ControlPlaneClientOptions Options => _options;

    /// <summary>A client of the control plane at <paramref name="baseUrl"/> with its own HttpClient (no request timeout: imports may be long).</summary>
    public static ControlPlaneClient Create(Uri baseUrl, ControlPlaneClientOptions? options = null) =>
        new(new HttpClient { BaseAddress = EndWithSlash(baseUrl), Timeout = Timeout.InfiniteTimeSpan }, options);

    internal static Uri EndWithSlash(Uri url) =>
        url.AbsoluteUri.EndsWith('/') ? url : new Uri(url.AbsoluteUri + "/");

    private HttpRequestMessage Request(HttpMethod method, string path, HttpContent? content = null)
    {
        var request = new HttpRequestMessage(method, path) { Content = content };
        if (!string.IsNullOrEmpty(_options.Token))
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", _options.Token);
        }

        if (!string.IsNullOrEmpty(_options.IdempotencyKey) && method == HttpMethod.Post)
        {
            request.Headers.Add("Idempotency-Key", _options.IdempotencyKey);
        }

        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/problem+json"));
        return request;
    }

    private static JsonContent Json<T>(T value) => JsonContent.Create(value, options: ClientJson.Options);

    /// <summary>Sends the request and reads the JSON body of a success answer, with its status.</summary>
    private async Task<(T Body, HttpStatusCode Status)> SendAsync<T>(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        using (request)
        {
            using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
            await ThrowIfProblemAsync(request, response, cancellationToken);
            var body = await response.Content.ReadFromJsonAsync<T>(ClientJson.Options, cancellationToken)
                ?? throw new InvalidOperationException($"{request.Method} {request.RequestUri} answered JSON null.");
            return (body, response.StatusCode);
        }
    }

    private async Task SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        using (request)
        {
            using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
            await ThrowIfProblemAsync(request, response, cancellationToken);
        }
    }

    private static async Task ThrowIfProblemAsync(HttpRequestMessage request, HttpResponseMessage response, CancellationToken cancellationToken)
    {
        if (response.IsSuccessStatusCode)
        {
            return;
        }

        var body = await response.Content.ReadAsStringAsync(cancellationToken);
        var problem = ApiProblem.Parse(response.StatusCode, response.ReasonPhrase, body);
        throw new ApiProblemException(problem, request.Method.Method, request.RequestUri?.OriginalString ?? "");
    }

    /// <summary>Builds "path?a=1&amp;b=x" from the parameters that have a value, escaping each.</summary>
    private static string Query(string path, params (string Name, object? Value)[] parameters)
    {
        var builder = new StringBuilder(path);
        var separator = '?';
        foreach (var (name, value) in parameters)
        {
            if (value is null)
            {
                continue;
            }

            var text = value switch
            {
                bool b => b ? "true" : "false",
                IFormattable formattable => formattable.ToString(null, System.Globalization.CultureInfo.InvariantCulture),
                _ => value.ToString() ?? "",
            };
            builder.Append(separator).Append(name).Append('=').Append(Uri.EscapeDataString(text));
            separator = '&';
        }

        return builder.ToString();
    }

    private static string Segment(string value) => Uri.EscapeDataString(value);
}
