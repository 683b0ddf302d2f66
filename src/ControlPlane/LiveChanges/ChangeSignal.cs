using System.Collections.Concurrent;
using Npgsql;

namespace ControlPlane.LiveChanges;

/// <summary>
/// Wakes the agents' change pulls held by this instance when a dataset's change log grows. Fed by
/// <see cref="ChangeListener"/> from PostgreSQL NOTIFY, so a batch accepted by any instance reaches agents waiting on all (I7).
/// </summary>
public sealed class ChangeSignal
{
    public const string Channel = "cp_changes";
    private readonly ConcurrentDictionary<string, TaskCompletionSource> _waiters = new(StringComparer.Ordinal);

    /// <summary>A task that completes at the next pulse of the dataset. Take it before reading the log.</summary>
    public Task Next(string dataset) =>
        _waiters.GetOrAdd(dataset, _ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).Task;

    public void Pulse(string dataset)
    {
        if (_waiters.TryRemove(dataset, out var waiter))
        {
            waiter.TrySetResult();
        }
    }

    public void PulseAll()
    {
        foreach (var dataset in _waiters.Keys)
        {
            Pulse(dataset);
        }
    }

    /// <summary>Announces new changes of a dataset when the caller's transaction commits.</summary>
    public static async Task NotifyAsync(NpgsqlConnection connection, string dataset, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand($"SELECT pg_notify('{Channel}', @dataset)", connection);
        command.Parameters.AddWithValue("dataset", dataset);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }
}

/// <summary>Holds one LISTEN connection per control plane instance for <see cref="ChangeSignal"/>.</summary>
public sealed partial class ChangeListener(NpgsqlDataSource dataSource, ChangeSignal signal, ILogger<ChangeListener> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await using var connection = await dataSource.OpenConnectionAsync(stoppingToken);
                connection.Notification += (_, notification) => signal.Pulse(notification.Payload);
                await using (var listen = new NpgsqlCommand($"LISTEN {ChangeSignal.Channel}", connection))
                {
                    await listen.ExecuteNonQueryAsync(stoppingToken);
                }

                // Changes may have arrived while no connection listened.
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

    [LoggerMessage(Level = LogLevel.Warning, Message = "Listening for live changes failed; reconnecting")]
    private partial void LogListenFailed(Exception exception);
}
