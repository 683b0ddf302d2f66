using System.Text.Json;
using System.Text.RegularExpressions;
using ControlPlane.Tests.Support;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace ControlPlane.Tests.Infrastructure;

/// <summary>
/// The OpenAPI document against the endpoints the application really maps: every endpoint is described, with its
/// error answers (ProblemDetails) and the bearer scheme where a token is needed.
/// </summary>
public sealed partial class OpenApiTests(ControlPlaneFixture fixture) : IClassFixture<ControlPlaneFixture>, IAsyncLifetime
{
    private static readonly string[] Methods = ["get", "put", "post", "delete", "patch"];
    private JsonDocument? _document;

    private JsonElement Document => _document!.RootElement;

    public async Task InitializeAsync()
    {
        using var anonymous = fixture.CreateClient(null);
        _document = JsonDocument.Parse(await anonymous.GetStringAsync("/swagger/v1/swagger.json"));
    }

    public Task DisposeAsync()
    {
        _document?.Dispose();
        return Task.CompletedTask;
    }

    [Fact]
    public void The_operations_are_exactly_the_mapped_endpoints()
    {
        var mapped = MappedEndpoints().Keys.ToHashSet();
        var described = Operations().Select(o => (o.Method, o.Path)).ToHashSet();

        Assert.True(mapped.Count > 60, $"Only {mapped.Count} endpoints found: the endpoint data source is not the application's");
        Assert.Empty(mapped.Except(described).Select(e => $"{e.Method} {e.Path}").Order());
        Assert.Empty(described.Except(mapped).Select(e => $"{e.Method} {e.Path}").Order());
    }

    [Fact]
    public void Every_operation_that_needs_a_token_names_the_bearer_scheme_and_answers_401_and_403_as_problem_details()
    {
        var endpoints = MappedEndpoints();
        var anonymous = endpoints.Where(e => e.Value).Select(e => $"{e.Key.Method} {e.Key.Path}").Order().ToList();
        Assert.Equal(["POST /api/v1/auth/login"], anonymous);

        foreach (var operation in Operations())
        {
            var name = $"{operation.Method} {operation.Path}";
            var responses = operation.Element.GetProperty("responses");
            var security = operation.Element.TryGetProperty("security", out var s) ? s.EnumerateArray().SelectMany(r => r.EnumerateObject().Select(p => p.Name)).ToList() : [];
            if (endpoints[(operation.Method, operation.Path)])
            {
                Assert.True(security.Count == 0, $"{name} is anonymous but names {string.Join(", ", security)}");
                Assert.False(responses.TryGetProperty("401", out _), $"{name} is anonymous but documents 401");
                continue;
            }

            Assert.True(security.SequenceEqual(["Bearer"]), $"{name} names security [{string.Join(", ", security)}], expected Bearer");
            AssertProblem(name, responses, "401");
            AssertProblem(name, responses, "403");
            AssertProblem(name, responses, "503");
        }
    }

    [Fact]
    public void Every_POST_documents_400_and_409_and_every_route_with_a_parameter_404()
    {
        foreach (var operation in Operations())
        {
            var name = $"{operation.Method} {operation.Path}";
            var responses = operation.Element.GetProperty("responses");
            if (operation.Method == "POST")
            {
                AssertProblem(name, responses, "400");
                AssertProblem(name, responses, "409");
            }

            if (operation.Path.Contains('{', StringComparison.Ordinal))
            {
                AssertProblem(name, responses, "404");
            }

            if (operation.Element.TryGetProperty("requestBody", out _))
            {
                AssertProblem(name, responses, "415");
            }

            Assert.True(responses.EnumerateObject().Any(r => r.Name.StartsWith('2')), $"{name} documents no success answer");
        }
    }

    [Theory]
    [InlineData("/api/v1/datasets/{dataset}/versions")]
    [InlineData("/api/v1/datasets/{dataset}/changes")]
    public void Streamed_uploads_document_413_for_a_body_over_the_limit(string path)
    {
        var post = Operations().Single(o => o.Method == "POST" && o.Path == path);
        AssertProblem($"POST {path}", post.Element.GetProperty("responses"), "413");
    }

    [Fact]
    public void The_bearer_scheme_is_declared_as_http_bearer()
    {
        var scheme = Document.GetProperty("components").GetProperty("securitySchemes").GetProperty("Bearer");

        Assert.Equal(("http", "bearer"), (scheme.GetProperty("type").GetString(), scheme.GetProperty("scheme").GetString()));
        Assert.True(Document.GetProperty("components").GetProperty("schemas").TryGetProperty("ProblemDetails", out _));
    }

    private static void AssertProblem(string operation, JsonElement responses, string status)
    {
        Assert.True(responses.TryGetProperty(status, out var response), $"{operation} does not document {status}");
        var media = response.TryGetProperty("content", out var content) && content.TryGetProperty("application/problem+json", out var found) ? found : default;
        Assert.True(media.ValueKind == JsonValueKind.Object, $"{operation}: {status} is not described as application/problem+json");
        Assert.EndsWith("/ProblemDetails", media.GetProperty("schema").GetProperty("$ref").GetString(), StringComparison.Ordinal);
    }

    private IEnumerable<(string Method, string Path, JsonElement Element)> Operations() =>
        Document.GetProperty("paths").EnumerateObject().SelectMany(path => path.Value.EnumerateObject()
            .Where(o => Methods.Contains(o.Name))
            .Select(o => (o.Name.ToUpperInvariant(), Normalize(path.Name), o.Value)));

    /// <summary>Every (method, path) the application maps, and whether it is anonymous; health checks are not API operations.</summary>
    private Dictionary<(string Method, string Path), bool> MappedEndpoints()
    {
        var dataSource = fixture.Factory.Services.GetRequiredService<EndpointDataSource>();
        var endpoints = new Dictionary<(string Method, string Path), bool>();
        foreach (var endpoint in dataSource.Endpoints.OfType<RouteEndpoint>())
        {
            var path = Normalize(endpoint.RoutePattern.RawText ?? "");
            if (path.StartsWith("/health/", StringComparison.Ordinal))
            {
                continue;
            }

            var methods = endpoint.Metadata.GetMetadata<IHttpMethodMetadata>()?.HttpMethods;
            Assert.True(methods is { Count: > 0 }, $"{endpoint.DisplayName} ({path}) answers every method: not describable");
            foreach (var method in methods!)
            {
                endpoints[(method, path)] = endpoint.Metadata.GetMetadata<IAllowAnonymous>() is not null;
            }
        }

        return endpoints;
    }

    /// <summary>/api/v1/releases/{id:long}/ and /api/v1/releases/{id} are the same path.</summary>
    private static string Normalize(string path) => "/" + RouteParameter().Replace(path, "{${name}}").Trim('/');

    [GeneratedRegex(@"\{\**(?<name>[A-Za-z0-9_]+)[^}]*\}")]
    private static partial Regex RouteParameter();
}
