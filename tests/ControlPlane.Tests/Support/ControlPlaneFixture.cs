using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace ControlPlane.Tests.Support;

/// <summary>
/// One fresh database per test class and the application started on it; starting applies the migrations.
/// Subclasses change settings by overriding <see cref="Settings"/>.
/// </summary>
public class ControlPlaneFixture : IAsyncLifetime, IAsyncDisposable
{
    private TestDatabase? _database;
    private ControlPlaneFactory? _factory;
    private HttpClient? _client;
    private WebApplicationFactoryClientOptions _clientOptions = new();

    /// <summary>The admin token the default <see cref="Client"/> carries (Identity:BootstrapAdminToken).</summary>
    public const string AdminToken = "test-admin-token-5b1d0c7e9f";

    /// <summary>The name changes made through <see cref="Client"/> are recorded under.</summary>
    public const string AdminName = "test-admin";

    public TestDatabase Database => _database ?? throw new InvalidOperationException("The fixture is not initialized.");

    public ControlPlaneFactory Factory => _factory ?? throw new InvalidOperationException("The fixture is not initialized.");

    /// <summary>A client carrying the admin token.</summary>
    public HttpClient Client => _client ?? throw new InvalidOperationException("The fixture is not initialized.");

    /// <summary>A new client of the application carrying <paramref name="token"/> as its bearer token, or no token when null.</summary>
    public HttpClient CreateClient(string? token)
    {
        var client = Factory.CreateClient(_clientOptions);
        if (token is not null)
        {
            client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token);
        }

        return client;
    }

    /// <summary>A client with a new token of <paramref name="role"/> acting as <paramref name="name"/>.</summary>
    public async Task<HttpClient> ClientAsAsync(string name, string role) => CreateClient(await Client.CreateTokenAsync(name, role));

    /// <summary>The application's clock: fixed unless a subclass needs time to pass (deadlines, stale agents).</summary>
    public virtual TimeProvider Time { get; } = new FixedTimeProvider(FixedTimeProvider.Default);

    protected virtual IEnumerable<KeyValuePair<string, string?>> Settings => [];

    /// <summary>
    /// Guardrails:RequireAcknowledgement. The product's default is on; tests of the publish mechanics import versions
    /// whose prices move freely and are not about review, so it is off here and on in <see cref="GovernanceFixture"/>.
    /// </summary>
    protected virtual bool RequireWarningAcknowledgement => false;

    /// <summary>Test services added to the application's (after its own, so they win).</summary>
    protected virtual void ConfigureServices(Microsoft.Extensions.DependencyInjection.IServiceCollection services)
    {
    }

    /// <summary>
    /// Serve over Kestrel on a loopback port instead of the in-memory server: needed where the transport
    /// matters, such as chunked bodies and clients that drop the connection mid-upload (the in-memory server
    /// never tells the application that such a client is gone).
    /// </summary>
    protected virtual bool UseKestrel => false;

    public async Task InitializeAsync()
    {
        _database = await TestDatabase.CreateAsync();
        Start();
    }

    /// <summary>
    /// Stops the application and starts a new one on the same database, as a restarted control plane would be:
    /// nothing carries over but what PostgreSQL holds.
    /// </summary>
    public async Task RestartAsync()
    {
        _client?.Dispose();
        _client = null;
        if (_factory is not null)
        {
            await _factory.DisposeAsync();
            _factory = null;
        }

        Start();
    }

    private void Start()
    {
        var settings = new Dictionary<string, string?>
        {
            ["Database:ConnectionString"] = Database.ConnectionString,
            ["Database:MigrateOnStart"] = "true",
            ["Identity:BootstrapAdminToken"] = AdminToken,
            ["Identity:BootstrapAdminName"] = AdminName,
            // The fewest iterations allowed: logins in tests need not be slow.
            ["Identity:PasswordIterations"] = "10000",
            ["Guardrails:RequireAcknowledgement"] = RequireWarningAcknowledgement ? "true" : "false",
        };
        foreach (var (key, value) in Settings)
        {
            settings[key] = value;
        }

        _factory = new ControlPlaneFactory(settings, Time, ConfigureServices);
        var options = new WebApplicationFactoryClientOptions { AllowAutoRedirect = false };
        if (UseKestrel)
        {
            _factory.UseKestrel(0);
            _factory.StartServer();
            var addresses = _factory.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses;
            options.BaseAddress = new Uri(addresses.First());
        }

        _clientOptions = options;
        _client = CreateClient(AdminToken);
    }

    /// <summary>Empties every dataset so a test starts from no versions at all.</summary>
    public Task ResetAsync() => Database.ExecuteAsync("TRUNCATE records, dataset_versions");

    public async ValueTask DisposeAsync()
    {
        // Idempotent: xUnit may reach it through IAsyncLifetime and IAsyncDisposable alike.
        _client?.Dispose();
        _client = null;
        if (_factory is not null)
        {
            await _factory.DisposeAsync();
            _factory = null;
        }

        if (_database is not null)
        {
            await _database.DisposeAsync();
            _database = null;
        }

        DeleteFiles();
        GC.SuppressFinalize(this);
    }

    /// <summary>Removes files and folders the fixture made outside the database (a cold store's folder), after the application stopped.</summary>
    protected virtual void DeleteFiles()
    {
    }

    Task IAsyncLifetime.DisposeAsync() => DisposeAsync().AsTask();
}
