using Microsoft.Extensions.Options;
using Npgsql;

namespace ControlPlane.Releases;

/// <summary>Fails or marks Partial the publications whose agents missed a deadline.</summary>
public sealed partial class DeadlineSweeper(PublicationCoordinator coordinator, IOptions<PublishOptions> options, TimeProvider time, ILogger<DeadlineSweeper> logger)
    : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.SweepInterval, time);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                await coordinator.SweepAsync(stoppingToken);
            }
            catch (Exception exception) when (exception is NpgsqlException or TimeoutException)
            {
                LogSweepFailed(exception);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Checking publication deadlines failed; trying again at the next tick")]
    private partial void LogSweepFailed(Exception exception);
}
