using Agent.ControlPlaneApi;

namespace Agent.Loop;

/// <summary>Sends the agent's status; a failed report is logged and never stops the work.</summary>
public sealed partial class AgentReporter(ControlPlaneClient client, AgentStatus status, TimeProvider time, ILogger<AgentReporter> logger)
{
    private static readonly TimeSpan ProgressInterval = TimeSpan.FromSeconds(1);
    private long _lastProgress;

    public string? AgentId { get; set; }

    public async Task SendAsync(CancellationToken cancellationToken)
    {
        if (AgentId is null)
        {
            return;
        }

        try
        {
            // NTP-style: the server stamped its answer somewhere in our round trip; assume the middle.
            var sent = time.GetUtcNow();
            var serverTime = await client.ReportAsync(AgentId, status.ToReport(), cancellationToken);
            var received = time.GetUtcNow();
            if (serverTime is { } server)
            {
                var roundTrip = received - sent;
                status.SetClockOffset((sent + (roundTrip / 2) - server).TotalMilliseconds, roundTrip.TotalMilliseconds);
            }
        }
        catch (Exception exception) when (exception is HttpRequestException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
        {
            LogReportFailed(exception.Message);
        }
    }

    /// <summary>Staging progress, at most once a second.</summary>
    public Task ProgressAsync(CancellationToken cancellationToken)
    {
        var now = time.GetTimestamp();
        var last = Interlocked.Read(ref _lastProgress);
        if (last != 0 && time.GetElapsedTime(last, now) < ProgressInterval)
        {
            return Task.CompletedTask;
        }

        Interlocked.Exchange(ref _lastProgress, now);
        return SendAsync(cancellationToken);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Report to the control plane failed: {Reason}")]
    private partial void LogReportFailed(string reason);
}
