using Microsoft.Extensions.Options;

namespace ControlPlane.Tiers;

/// <summary>Runs the archive job every <c>Tiers:ArchiveInterval</c> on every instance; the tasks' locks keep instances apart.</summary>
public sealed partial class ArchiveService(ArchiveJob job, IOptions<TierOptions> options, TimeProvider time, ILogger<ArchiveService> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!options.Value.ArchiveEnabled)
        {
            return;
        }

        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                var result = await job.RunOnceAsync(stoppingToken);
                if (result.Archived.Count + result.Failed.Count > 0)
                {
                    LogRun(result.Archived.Count, result.Failed.Count);
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception exception)
            {
                LogRunFailed(exception);
            }

            try
            {
                await Task.Delay(options.Value.ArchiveInterval, time, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Archive run: {Archived} version(s) moved to cold, {Failed} failed")]
    private partial void LogRun(int archived, int failed);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Archive run failed; trying again at the next interval")]
    private partial void LogRunFailed(Exception exception);
}
