using Npgsql;

namespace ControlPlane.Agents;

/// <summary>Holds one LISTEN connection per control plane instance and turns notifications into pulses.</summary>
public sealed partial class DesiredStateListener(NpgsqlDataSource dataSource, DesiredStateSignal signal, ILogger<DesiredStateListener> logger)
    : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await using var connection = await dataSource.OpenConnectionAsync(stoppingToken);
                connection.Notification += (_, notification) => signal.Pulse(notification.Payload);
                await using (var listen = new NpgsqlCommand($"LISTEN {DesiredStateSignal.Channel}", connection))
                {
                    await listen.ExecuteNonQueryAsync(stoppingToken);
                }

                // Anything may have changed while no connection listened.
                signal.PulseAll();
                while (!stoppingToken.IsCancellationRequested)
                {
                    await connection.WaitAsync(stoppingToken);
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception exception) when (exception is NpgsqlException or TimeoutException or IOException)
            {
                LogListenFailed(exception);
                signal.PulseAll();
                await Task.Delay(TimeSpan.FromSeconds(1), stoppingToken);
            }
        }
    }

    /// <summary>SQL that announces a change of an environment's desired state when its transaction commits.</summary>
    public static NpgsqlCommand Notify(NpgsqlConnection connection, string environment)
    {
        var command = new NpgsqlCommand($"SELECT pg_notify('{DesiredStateSignal.Channel}', @environment)", connection);
        command.Parameters.AddWithValue("environment", environment);
        return command;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Listening for desired-state changes failed; reconnecting")]
    private partial void LogListenFailed(Exception exception);
}
