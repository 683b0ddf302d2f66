using System.Net;
using ControlPlane.Tests.Datasets;
using ControlPlane.Tests.Support;

namespace ControlPlane.Tests.Infrastructure;

/// <summary>The application pointed at a port where no PostgreSQL listens.</summary>
public sealed class UnreachableDatabaseFixture : IAsyncLifetime
{
    public ControlPlaneFactory Factory { get; } = new(
        new Dictionary<string, string?>
        {
            ["Database:ConnectionString"] = "Host=127.0.0.1;Port=1;Username=controlplane;Database=controlplane;Timeout=3",
            ["Database:MigrateOnStart"] = "false",

            // Every request here fails on purpose; their error logs would only bury real failures in the output.
            ["Logging:LogLevel:Default"] = "None",
        },
        new FixedTimeProvider(FixedTimeProvider.Default));

    public HttpClient Client { get; private set; } = null!;

    public Task InitializeAsync()
    {
        // A bound on every request so that a hang fails the test instead of stalling the run.
        Client = Factory.CreateClient();
        Client.Timeout = TimeSpan.FromSeconds(30);
        // Checking the token needs PostgreSQL too: with it unreachable, the answer is 503, not 401.
        Client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", ControlPlaneFixture.AdminToken);
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        Client.Dispose();
        await Factory.DisposeAsync();
    }
}

public sealed class DatabaseUnavailableTests(UnreachableDatabaseFixture fixture) : IClassFixture<UnreachableDatabaseFixture>
{
    [Theory]
    [InlineData("")]
    [InlineData("mode=delta&base=1")]
    public async Task Import_answers_503_problem_when_PostgreSQL_is_unreachable(string query)
    {
        var body = query.Length == 0 ? Bodies.Ndjson([new PriceRecord("A", 1m, "EUR")]) : Bodies.Lines(new PriceRecord("A", 1m, "EUR").UpsertLine());

        using var response = await fixture.Client.PostVersionAsync("price", body, query);

        var problem = await Problem.ReadAsync(response, HttpStatusCode.ServiceUnavailable);
        Assert.DoesNotContain("127.0.0.1", problem.Detail ?? "", StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("/api/v1/datasets")]
    [InlineData("/api/v1/datasets/price/versions")]
    [InlineData("/api/v1/datasets/price/diff?from=1&to=2")]
    public async Task Reads_answer_503_problem_when_PostgreSQL_is_unreachable(string url)
    {
        using var response = await fixture.Client.GetAsync(url);

        await Problem.ReadAsync(response, HttpStatusCode.ServiceUnavailable);
    }

    [Fact]
    public async Task Readiness_fails_while_liveness_holds_when_PostgreSQL_is_unreachable()
    {
        using var ready = await fixture.Client.GetAsync("/health/ready");
        using var live = await fixture.Client.GetAsync("/health/live");

        Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.StatusCode);
        Assert.Equal(HttpStatusCode.OK, live.StatusCode);
    }
}

public sealed class HealthTests(ControlPlaneFixture fixture) : IClassFixture<ControlPlaneFixture>
{
    [Fact]
    public async Task Readiness_and_liveness_hold_when_PostgreSQL_is_reachable()
    {
        using var ready = await fixture.Client.GetAsync("/health/ready");
        using var live = await fixture.Client.GetAsync("/health/live");

        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        Assert.Equal(HttpStatusCode.OK, live.StatusCode);
    }
}
