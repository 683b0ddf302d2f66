using Microsoft.Extensions.Options;
using Npgsql;

namespace ControlPlane.Environments;

/// <summary>Creates the environments and groups declared in configuration; runs after the migrations.</summary>
public sealed partial class EnvironmentSeeder(
    EnvironmentStore environments, IOptions<EnvironmentOptions> options, IHostApplicationLifetime lifetime, ILogger<EnvironmentSeeder> logger)
    : IHostedService
{
    private Task _retrying = Task.CompletedTask;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        try
        {
            await SeedAsync(cancellationToken);
        }
        catch (Exception exception) when (exception is NpgsqlException or TimeoutException)
        {
            // An unreachable database must not keep the control plane from starting: it answers 503 and reports
            // not ready meanwhile (as without this service), and the environments are created once PostgreSQL is back.
            LogSeedFailed(exception);
            _retrying = RetryAsync(lifetime.ApplicationStopping);
        }
    }

    // ApplicationStopping has ended the retries by now.
    public Task StopAsync(CancellationToken cancellationToken) => _retrying.WaitAsync(cancellationToken);

    private async Task SeedAsync(CancellationToken cancellationToken)
    {
        foreach (var (name, groups) in options.Value.Declared)
        {
            await environments.EnsureAsync(name, groups, cancellationToken);
        }
    }

    private async Task RetryAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(TimeSpan.FromSeconds(5), stoppingToken);
                await SeedAsync(stoppingToken);
                return;
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception exception) when (exception is NpgsqlException or TimeoutException)
            {
                LogSeedFailed(exception);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Creating the declared environments failed; trying again in 5 s")]
    private partial void LogSeedFailed(Exception exception);
}
