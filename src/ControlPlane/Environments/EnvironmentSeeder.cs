using Microsoft.Extensions.Options;

namespace ControlPlane.Environments;

/// <summary>Creates the environments and groups declared in configuration; runs after the migrations.</summary>
public sealed class EnvironmentSeeder(EnvironmentStore environments, IOptions<EnvironmentOptions> options) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        foreach (var (name, groups) in options.Value.Declared)
        {
            await environments.EnsureAsync(name, groups, cancellationToken);
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
