namespace ControlPlane.Tests.Support;

/// <summary>
/// Base of tests that share their class's database: each test starts with every dataset empty,
/// so tests of one class do not see each other's versions (xUnit runs them one at a time).
/// </summary>
public abstract class DatabaseTest(ControlPlaneFixture fixture) : IAsyncLifetime
{
    protected ControlPlaneFixture Fixture => fixture;

    protected HttpClient Client => fixture.Client;

    protected TestDatabase Database => fixture.Database;

    public Task InitializeAsync() => fixture.ResetAsync();

    public Task DisposeAsync() => Task.CompletedTask;
}
