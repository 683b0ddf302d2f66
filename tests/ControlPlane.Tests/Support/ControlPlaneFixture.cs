using Microsoft.AspNetCore.Mvc.Testing;

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

    public TimeProvider Time { get; } = new FixedTimeProvider(FixedTimeProvider.Default);

    protected virtual IEnumerable<KeyValuePair<string, string?>> Settings => [];

    public async Task InitializeAsync()
    {
        _database = await TestDatabase.CreateAsync();
        var settings = new Dictionary<string, string?>
        {
            ["Database:ConnectionString"] = _database.ConnectionString,
            ["Database:MigrateOnStart"] = "true",
        };
        foreach (var (key, value) in Settings)
        {
            settings[key] = value;
        }

        _factory = new ControlPlaneFactory(settings, Time);
        _client = _factory.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false });
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
