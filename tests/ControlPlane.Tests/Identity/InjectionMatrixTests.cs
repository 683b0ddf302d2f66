using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using ControlPlane.Tests.Releases;
using ControlPlane.Tests.Support;

namespace ControlPlane.Tests.Identity;

/// <summary>
/// Every string input of the API (names in paths and bodies, free text, headers, audit filters) against typical SQL and
/// header injection payloads, very long text, unicode and NUL: each is refused with a 400/404 ProblemDetails, or stored
/// and read back exactly; never a 500, never an injected response header, and the tables are all still there.
/// </summary>
public sealed class InjectionMatrixTests(ControlPlaneFixture fixture) : IClassFixture<ControlPlaneFixture>
{
    private static readonly Dictionary<string, string> Payloads = new(StringComparer.Ordinal)
    {
        ["sql"] = "'; DROP TABLE audit; --",
        ["sql-union"] = "x' UNION SELECT token_hash FROM api_tokens --",
        ["crlf-header"] = "\r\nX-Injected: 1",
        ["very-long"] = new string('a', 100_000),
        ["unicode"] = "价格-ß-😀-\u202Eevil-\u0301",
        ["nul"] = "a\0b",
    };

    private static readonly string[] Inputs =
    [
        "dataset-in-path", "environment-in-release-body", "environment-in-path", "group-of-pin", "group-of-wave", "pin-reason",
        "unpin-reason-query", "policy-reason", "release-note", "approval-comment", "import-note-query", "token-name",
        "x-actor-header", "idempotency-key-header", "audit-actor", "audit-environment", "audit-kind", "audit-from", "audit-to", "audit-before",
    ];

    private static readonly string[] Tables = ["audit", "api_tokens", "releases", "pins", "approvals", "environment_policies", "dataset_versions", "publications"];

    private HttpClient Admin => fixture.Client;

    public static TheoryData<string, string> Cases()
    {
        var cases = new TheoryData<string, string>();
        foreach (var input in Inputs)
        {
            foreach (var payload in Payloads.Keys)
            {
                cases.Add(input, payload);
            }
        }

        return cases;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task A_hostile_string_is_refused_with_a_problem_or_kept_exactly(string input, string payload)
    {
        var value = Payloads[payload];
        if (input.EndsWith("-in-path", StringComparison.Ordinal) && value.Contains('\0', StringComparison.Ordinal))
        {
            // The host refuses a path with %00 before any endpoint sees it (Kestrel answers 400; the test server throws).
            var refused = await Assert.ThrowsAsync<InvalidOperationException>(() => SendAsync(input, value));
            Assert.Contains("null characters", refused.Message, StringComparison.Ordinal);
            return;
        }

        var (response, readBack, mustRefuse) = await SendAsync(input, value);
        using (response)
        {
            var status = (int)response.StatusCode;
            var body = await response.Content.ReadAsStringAsync();
            Assert.True(status < 500, $"{input} with {payload} answered {status}: {Shorten(body)}");
            Assert.False(response.Headers.Contains("X-Injected") || response.Content.Headers.Contains("X-Injected"), $"{input} with {payload} injected a header");
            if (status >= 400)
            {
                Assert.True(status is 400 or 404, $"{input} with {payload} answered {status}: {Shorten(body)}");
                Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
                using var problem = JsonDocument.Parse(body);
                Assert.Equal(status, problem.RootElement.GetProperty("status").GetInt32());
            }
            else
            {
                Assert.False(mustRefuse, $"{input} accepted {payload} ({status}): {Shorten(body)}");
                var (expected, actual) = await readBack!();
                Assert.True(expected == actual, $"{input} with {payload}: expected '{Shorten(expected)}', read back '{Shorten(actual)}'");
            }
        }

        foreach (var table in Tables)
        {
            Assert.True(await fixture.Database.ScalarAsync<long>($"SELECT count(*) FROM {table}") >= 0);
        }

        Assert.True(await fixture.Database.ScalarAsync<long>("SELECT count(*) FROM api_tokens") > 0, "the admin token is gone");
    }

    /// <summary>Sends <paramref name="value"/> as the input; returns the answer and, for an accepted one, what it should read back as and what it does.</summary>
    private async Task<(HttpResponseMessage Response, Func<Task<(string? Expected, string? Actual)>>? ReadBack, bool MustRefuse)> SendAsync(string input, string value)
    {
        var escaped = Uri.EscapeDataString(value);
        switch (input)
        {
            case "dataset-in-path":
                return (await Admin.PostAsync($"/api/v1/datasets/{escaped}/versions", Ndjson("{\"sku\":\"A\",\"available\":1}\n")), null, true);
            case "environment-in-release-body":
                return (await Admin.PostAsJsonAsync("/api/v1/releases", new { environment = value, versions = await Admin.ImportCatalogueAsync() }, Http.Json), null, true);
            case "environment-in-path":
                return (await Admin.GetAsync($"/api/v1/environments/{escaped}"), null, true);
            case "group-of-pin":
            {
                var environment = await Admin.NewEnvironmentAsync("east");
                return (await Admin.PostAsJsonAsync($"/api/v1/environments/{environment}/pin", new { group = value, reason = "probe" }, Http.Json), null, true);
            }

            case "group-of-wave":
            {
                var environment = await Admin.NewEnvironmentAsync("east");
                var release = await Admin.CreateReleaseAsync(environment, await Admin.ImportCatalogueAsync());
                return (await Admin.PostAsJsonAsync($"/api/v1/releases/{release}/publish", new { waves = new List<List<string>> { new() { "east" }, new() { value } } }, Http.Json), null, true);
            }

            case "pin-reason":
            {
                var environment = await Admin.NewEnvironmentAsync("east");
                var response = await Admin.PostAsJsonAsync($"/api/v1/environments/{environment}/pin", new { reason = value }, Http.Json);
                // A pin's reason is kept trimmed of surrounding white space.
                return (response, async () => (value.Trim(), await AuditReasonAsync(environment, "environment.pin")), false);
            }

            case "unpin-reason-query":
            {
                var environment = await Admin.NewEnvironmentAsync("east");
                var pin = await Admin.PinAsync(environment, "to be removed");
                var response = await Admin.DeleteAsync($"/api/v1/environments/{environment}/pin/{pin.Id}?reason={escaped}");
                return (response, async () => (value, await AuditReasonAsync(environment, "environment.unpin")), false);
            }

            case "policy-reason":
            {
                var environment = await Admin.NewEnvironmentAsync("east");
                var response = await Admin.PutAsJsonAsync($"/api/v1/environments/{environment}/policy", new { requiredApprovals = 0, reason = value }, Http.Json);
                return (response, async () => (value, await AuditReasonAsync(environment, "environment.policy")), false);
            }

            case "release-note":
            {
                var environment = await Admin.NewEnvironmentAsync("east");
                var response = await Admin.PostAsJsonAsync("/api/v1/releases", new { environment, versions = await Admin.ImportCatalogueAsync(), note = value }, Http.Json);
                return (response, async () => (value, (await Http.ReadAsync<ReleaseViewDto>(response, HttpStatusCode.Created)).Release.Note), false);
            }

            case "approval-comment":
            {
                var environment = await Admin.NewEnvironmentAsync("east");
                var release = await Admin.CreateReleaseAsync(environment, await Admin.ImportCatalogueAsync());
                var approver = await fixture.ClientAsAsync("matrix-approver", "approver");
                var response = await approver.PostAsJsonAsync($"/api/v1/releases/{release}/approvals", new { comment = value }, Http.Json);
                return (response, async () => (value, (await Admin.ApprovalsAsync(release)).Approvals.Single().Comment), false);
            }

            case "import-note-query":
            {
                // A stock change of its own each time, so the import makes a version (identical content makes none).
                var line = $"{{\"op\":\"upsert\",\"sku\":\"MATRIX-1\",\"available\":{Random.Shared.Next(1, 1_000_000)}}}\n";
                var response = await Admin.PostAsync($"/api/v1/datasets/stock/versions?mode=delta&base=1&rebase=true&allowEmpty=true&note={escaped}", Ndjson(line));
                return (response, async () =>
                {
                    using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
                    var version = json.RootElement.GetProperty("version").GetInt32();
                    using var read = JsonDocument.Parse(await Admin.GetStringAsync($"/api/v1/datasets/stock/versions/{version}"));
                    return (value, read.RootElement.GetProperty("note").GetString());
                }, false);
            }

            case "token-name":
            {
                var response = await Admin.PostAsJsonAsync("/api/v1/tokens", new { name = value, role = "viewer" }, Http.Json);
                return (response, async () =>
                {
                    using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
                    using var me = fixture.CreateClient(json.RootElement.GetProperty("token").GetString());
                    using var who = JsonDocument.Parse(await me.GetStringAsync("/api/v1/auth/me"));
                    return (value, who.RootElement.GetProperty("name").GetString());
                }, false);
            }

            case "x-actor-header":
            {
                // Ignored: the change is recorded under the token's name whatever the header says.
                var environment = await Admin.NewEnvironmentAsync("east");
                var response = await SendWithHeaderAsync(HttpMethod.Post, $"/api/v1/environments/{environment}/pin", new { reason = "actor probe" }, "X-Actor", value);
                return (response, async () => (ControlPlaneFixture.AdminName, (await Admin.AuditAsync($"environment={environment}&kind=environment.pin")).Items.Single().Actor), false);
            }

            case "idempotency-key-header":
            {
                var environment = await Admin.NewEnvironmentAsync("east");
                var body = new { reason = "idempotency probe" };
                var response = await SendWithHeaderAsync(HttpMethod.Post, $"/api/v1/environments/{environment}/pin", body, "Idempotency-Key", value);
                return (response, async () =>
                {
                    // The same key again answers the first answer, replayed, and pins nothing more.
                    using var again = await SendWithHeaderAsync(HttpMethod.Post, $"/api/v1/environments/{environment}/pin", body, "Idempotency-Key", value);
                    var pins = await fixture.Database.ScalarAsync<long>($"SELECT count(*) FROM pins WHERE environment = '{environment}'");
                    return ("replayed, 1 pin", $"{(again.Headers.TryGetValues("Idempotency-Replayed", out var replayed) && replayed.Single() == "true" ? "replayed" : "not replayed")}, {pins} pin");
                }, false);
            }

            default:
            {
                Assert.StartsWith("audit-", input, StringComparison.Ordinal);
                var parameter = input["audit-".Length..];
                var response = await Admin.GetAsync($"/api/v1/audit?{parameter}={escaped}");
                return (response, async () =>
                {
                    using var page = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
                    return ("0 entries", $"{page.RootElement.GetProperty("items").GetArrayLength()} entries");
                }, false);
            }
        }
    }

    private async Task<HttpResponseMessage> SendWithHeaderAsync(HttpMethod method, string url, object body, string header, string value)
    {
        using var request = new HttpRequestMessage(method, url) { Content = JsonContent.Create(body, options: Http.Json) };
        request.Headers.TryAddWithoutValidation(header, value);
        return await Admin.SendAsync(request);
    }

    private async Task<string?> AuditReasonAsync(string environment, string kind) =>
        (await Admin.AuditAsync($"environment={environment}&kind={kind}")).Items.Single().Reason;

    private static StringContent Ndjson(string body) => new(body, Encoding.UTF8, "application/x-ndjson");

    private static string? Shorten(string? text) => text is { Length: > 300 } ? text[..300] + "..." : text;
}
