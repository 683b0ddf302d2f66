using Agent.ControlPlaneApi;
using Agent.Redis;
using ControlPlane.Reader;
using Microsoft.Extensions.Options;

namespace Agent.Loop;

/// <summary>
/// Pulls each dataset's live change log from the position stored in Redis and applies it page by page (README, "Live
/// changes"). One loop per dataset, independent of staging and switching: a long stage never holds changes back, and the
/// position lives with the data, so a kill at any point resumes exactly where Redis says (I4, I5).
/// </summary>
public sealed partial class ChangeFeed(
    IOptions<AgentOptions> options, IRedisClient redis, ControlPlaneClient client, TimeProvider time, ILogger<ChangeFeed> logger) : BackgroundService
{
    protected override Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var agent = options.Value;
        var store = new ChangeStore(redis, agent.Environment);
        var datasets = agent.ChangeDatasets.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        return Task.WhenAll(datasets.Select(d => FollowAsync(store, d, stoppingToken)));
    }

    private async Task FollowAsync(ChangeStore store, string dataset, CancellationToken stoppingToken)
    {
        var agent = options.Value;
        var backoff = new Backoff(time, TimeSpan.FromMilliseconds(200), TimeSpan.FromSeconds(10));
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                var after = await store.AppliedAsync(dataset);
                var page = await client.GetLiveChangesAsync(agent.AgentId, dataset, after, agent.ChangePageSize, agent.ChangeWaitSeconds, stoppingToken);
                if (page.Changes.Count > 0 && await store.ApplyAsync(dataset, after, page.Changes))
                {
                    LogApplied(dataset, page.Changes.Count, page.Changes[^1].Seq, page.LastSeq);
                }

                backoff.Reset();
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception exception)
            {
                LogPullFailed(dataset, exception.Message);
                try
                {
                    await backoff.WaitAsync(stoppingToken);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Applied {Count} live changes of {Dataset} up to {Seq} (log at {LastSeq})")]
    private partial void LogApplied(string dataset, int count, long seq, long lastSeq);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Live changes of {Dataset}: {Reason}; retrying with backoff")]
    private partial void LogPullFailed(string dataset, string reason);
}
