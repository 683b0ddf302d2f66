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

    public TestDatabase Database => _database ?? throw new InvalidOperationException("The fixture is not initialized.");

    public ControlPlaneFactory Factory => _factory ?? throw new InvalidOperationException("The fixture is not initialized.");

    public HttpClient Client => _client ?? throw new InvalidOperationException("The fixture is not initialized.");

    /// <summary>The application's clock: fixed unless a subclass needs time to pass (deadlines, stale agents).</summary>
    public virtual TimeProvider Time { get; } = new FixedTimeProvider(FixedTimeProvider.Default);

    protected virtual IEnumerable<KeyValuePair<string, string?>> Settings => [];

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
        };
        foreach (var (key, value) in Settings)
        {
            settings[key] = value;
        }

        _factory = new ControlPlaneFactory(settings, Time);
        var options = new WebApplicationFactoryClientOptions { AllowAutoRedirect = false };
        if (UseKestrel)
        {
            _factory.UseKestrel(0);
            _factory.StartServer();
            var addresses = _factory.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses;
            options.BaseAddress = new Uri(addresses.First());
        }

        _client = _factory.CreateClient(options);
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

        GC.SuppressFinalize(this);
    }

    Task IAsyncLifetime.DisposeAsync() => DisposeAsync().AsTask();
}
