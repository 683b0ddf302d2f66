using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Admin.UI.Api;

/// <summary>
/// The UI's way to the control plane: its public HTTP API only, as CI uses it, with the signed-in user's own bearer
/// token (<see cref="BearerTokenHandler"/>). A thin client of the UI's own until src/Client lands.
/// </summary>
public sealed class ControlPlaneApi(HttpClient http)
{
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase) },
    };

    public Uri? BaseAddress => http.BaseAddress;

    public Task<List<DatasetSummary>> DatasetsAsync(CancellationToken cancellationToken) =>
        GetAsync<List<DatasetSummary>>("api/v1/datasets", cancellationToken);

    public Task<VersionPage> VersionsAsync(string dataset, int? before, int limit, CancellationToken cancellationToken) =>
        GetAsync<VersionPage>($"api/v1/datasets/{Esc(dataset)}/versions?limit={limit}{(before is null ? "" : $"&before={before}")}", cancellationToken);

    public Task<VersionInfo> VersionAsync(string dataset, int version, CancellationToken cancellationToken) =>
        GetAsync<VersionInfo>($"api/v1/datasets/{Esc(dataset)}/versions/{version}", cancellationToken);

    public Task<RecordItem> RecordAsync(string dataset, int version, string sku, CancellationToken cancellationToken) =>
        GetAsync<RecordItem>($"api/v1/datasets/{Esc(dataset)}/versions/{version}/records/{Esc(sku)}", cancellationToken);

    public Task<DiffPage> DiffAsync(string dataset, int from, int to, string? change, string? after, int limit, CancellationToken cancellationToken) =>
        GetAsync<DiffPage>(
            $"api/v1/datasets/{Esc(dataset)}/diff?from={from}&to={to}&limit={limit}"
            + (string.IsNullOrEmpty(change) ? "" : $"&change={Esc(change)}")
            + (string.IsNullOrEmpty(after) ? "" : $"&after={Esc(after)}"),
            cancellationToken);

    public Task<List<EnvironmentSummary>> EnvironmentsAsync(CancellationToken cancellationToken) =>
        GetAsync<List<EnvironmentSummary>>("api/v1/environments", cancellationToken);

    public Task<EnvironmentView> EnvironmentAsync(string name, CancellationToken cancellationToken) =>
        GetAsync<EnvironmentView>($"api/v1/environments/{Esc(name)}", cancellationToken);

    public Task<List<ReleaseView>> ReleasesAsync(string? environment, int limit, CancellationToken cancellationToken) =>
        GetAsync<List<ReleaseView>>($"api/v1/releases?limit={limit}{(environment is null ? "" : $"&environment={Esc(environment)}")}", cancellationToken);

    public Task<ReleaseView> ReleaseAsync(long id, CancellationToken cancellationToken) =>
        GetAsync<ReleaseView>($"api/v1/releases/{id}", cancellationToken);

    public Task<PublicationInfo> PublicationAsync(long id, CancellationToken cancellationToken) =>
        GetAsync<PublicationInfo>($"api/v1/publications/{id}", cancellationToken);

    public Task<ReleaseView> CreateReleaseAsync(CreateReleaseRequest request, CancellationToken cancellationToken) =>
        SendAsync<ReleaseView>(HttpMethod.Post, "api/v1/releases", request, cancellationToken);

    public Task<PublicationInfo> PublishAsync(long release, CancellationToken cancellationToken) =>
        SendAsync<PublicationInfo>(HttpMethod.Post, $"api/v1/releases/{release}/publish", null, cancellationToken);

    public Task<PublicationInfo> RollbackAsync(string environment, long? toRelease, CancellationToken cancellationToken) =>
        SendAsync<PublicationInfo>(HttpMethod.Post, $"api/v1/environments/{Esc(environment)}/rollback", new RollbackRequest(toRelease), cancellationToken);

    public Task<LoginResponse> LoginAsync(LoginRequest request, CancellationToken cancellationToken) =>
        SendAsync<LoginResponse>(HttpMethod.Post, "api/v1/auth/login", request, cancellationToken);

    private static string Esc(string value) => Uri.EscapeDataString(value);

    private async Task<T> GetAsync<T>(string path, CancellationToken cancellationToken) =>
        await SendAsync<T>(HttpMethod.Get, path, null, cancellationToken);

    private async Task<T> SendAsync<T>(HttpMethod method, string path, object? body, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(method, path);
        if (body is not null)
        {
            request.Content = JsonContent.Create(body, body.GetType(), options: Json);
        }

        using var response = await http.SendAsync(request, cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            throw new ApiException(ApiProblem.Parse(response.StatusCode, response.ReasonPhrase, await response.Content.ReadAsStringAsync(cancellationToken)));
        }

        if (response.StatusCode == HttpStatusCode.NoContent)
        {
            return default!;
        }

        return await response.Content.ReadFromJsonAsync<T>(Json, cancellationToken)
            ?? throw new ApiException(new ApiProblem((int)response.StatusCode, "Empty answer", $"The control plane answered {path} with no content.", []));
    }
}
