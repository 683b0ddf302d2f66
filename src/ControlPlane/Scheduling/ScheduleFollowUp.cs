using Microsoft.Extensions.Options;
using Npgsql;

namespace ControlPlane.Scheduling;

/// <summary>Runs the engine's follow-up on every instance; schedules are locked one at a time with SKIP LOCKED.</summary>
public sealed partial class ScheduleFollowUp(ScheduleEngine engine, IOptions<ScheduleOptions> options, TimeProvider time, ILogger<ScheduleFollowUp> logger)
    : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.FollowUpInterval, time);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                await engine.FollowUpAsync(stoppingToken);
            }
            catch (Exception exception) when (exception is NpgsqlException or TimeoutException or Quartz.SchedulerException)
            {
                LogFollowUpFailed(exception);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Following up schedules failed; trying again at the next tick")]
    private partial void LogFollowUpFailed(Exception exception);
}
