using Microsoft.Extensions.Options;

namespace ControlPlane.Infrastructure;

/// <summary>Applies migrations before the server accepts requests, when configured to.</summary>
public sealed class MigrateOnStartService(MigrationRunner runner, IOptions<DatabaseOptions> options) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (options.Value.MigrateOnStart)
        {
            await runner.ApplyAsync(MigrationRunner.DefaultDirectory, cancellationToken);
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
