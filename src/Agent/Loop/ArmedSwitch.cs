using Agent.Redis;
using ControlPlane.Contracts;

namespace Agent.Loop;

/// <summary>
/// A scheduled switch the agent holds: at its instant, by this agent's own clock, the pointer is switched whether or not
/// the control plane or PostgreSQL can be reached then; the report follows when they can. The order is kept in Redis
/// (<see cref="AgentKeys.Armed"/>), so an agent restarted before the instant arms it again from there.
/// </summary>
public sealed partial class ArmedSwitch(AgentStatus status, AgentReporter reporter, TimeProvider time, ILogger<ArmedSwitch> logger) : IDisposable
{
    // Sleep until this close to the instant, then wait in short steps: timers are coarse, the switch should not be.
    private static readonly TimeSpan CoarseWaitMargin = TimeSpan.FromMilliseconds(20);

    private readonly Lock _lock = new();
    private ArmedOrder? _order;
    private CancellationTokenSource? _cancel;

    /// <summary>The order held now, if any.</summary>
    public ArmedOrder? Order
    {
        get
        {
            lock (_lock)
            {
                return _order;
            }
        }
    }

    /// <summary>Holds <paramref name="order"/> (replacing any other); the same order again changes nothing.</summary>
    public async Task ArmAsync(LayerStore store, ArmedOrder order, CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            if (_order is { } current && current.SwitchAt == order.SwitchAt && current.Live.Generation == order.Live.Generation)
            {
                return;
            }
        }

        await store.SaveArmedAsync(order);
        Start(store, order, cancellationToken);
        LogArmed(order.Live.Release, order.Live.Generation, order.SwitchAt);
    }

    /// <summary>Arms again what Redis holds (after a restart), unless the pointer is already there.</summary>
    public async Task RestoreAsync(LayerStore store, CancellationToken cancellationToken)
    {
        if (await store.LoadArmedAsync() is not { } order)
        {
            return;
        }

        if (await store.GetPointerAsync() is { } pointer && pointer.Generation >= order.Live.Generation)
        {
            await store.SaveArmedAsync(null);
            return;
        }

        Start(store, order, cancellationToken);
        LogRestored(order.Live.Release, order.Live.Generation, order.SwitchAt);
    }

    /// <summary>Drops the held order (the control plane called it off, or ordered something else).</summary>
    public async Task DisarmAsync(LayerStore store)
    {
        ArmedOrder? dropped;
        lock (_lock)
        {
            dropped = _order;
            _order = null;
            _cancel?.Cancel();
        }

        if (dropped is not null)
        {
            await store.SaveArmedAsync(null);
            LogDisarmed(dropped.Live.Release, dropped.Live.Generation);
        }
    }

    private void Start(LayerStore store, ArmedOrder order, CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            _cancel?.Cancel();
            _cancel?.Dispose();
            _cancel = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            _order = order;
            var token = _cancel.Token;
            _ = Task.Run(() => RunAsync(store, order, token), CancellationToken.None);
        }
    }

    private async Task RunAsync(LayerStore store, ArmedOrder order, CancellationToken cancellationToken)
    {
        try
        {
            var wait = order.SwitchAt - time.GetUtcNow();
            if (wait > CoarseWaitMargin)
            {
                await Task.Delay(wait - CoarseWaitMargin, time, cancellationToken);
            }

            while (time.GetUtcNow() < order.SwitchAt)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(1), time, cancellationToken);
            }

            // Redis may be briefly unreachable at the instant: keep trying, the order stays valid until superseded.
            var backoff = new Backoff(time, TimeSpan.FromMilliseconds(50), TimeSpan.FromSeconds(2));
            while (true)
            {
                try
                {
                    var switchedAt = time.GetUtcNow();
                    var stored = await store.SwitchAsync(order.Live with { SwitchedAt = switchedAt });
                    LogSwitched(order.Live.Release, order.Live.Generation, (switchedAt - order.SwitchAt).TotalMilliseconds, stored);
                    break;
                }
                catch (Exception exception) when (exception is not OperationCanceledException)
                {
                    LogSwitchFailed(exception);
                    await backoff.WaitAsync(cancellationToken);
                }
            }

            lock (_lock)
            {
                if (_order == order)
                {
                    _order = null;
                }
            }

            await store.SaveArmedAsync(null);
            status.SetLive(await store.GetPointerAsync());
            await reporter.SendAsync(cancellationToken);
        }
        catch (OperationCanceledException)
        {
        }
        catch (Exception exception)
        {
            // Whatever else failed (clearing the key, the report) is repeated by the loop's next pass and the heartbeat.
            LogSwitchFailed(exception);
        }
    }

    /// <summary>Stops waiting (the process stops); the order stays in Redis for the next start.</summary>
    public void Dispose()
    {
        lock (_lock)
        {
            _cancel?.Cancel();
            _cancel?.Dispose();
            _cancel = null;
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Armed: switch to release {ReleaseId} generation {Generation} at {SwitchAt:O}")]
    private partial void LogArmed(long releaseId, long generation, DateTimeOffset switchAt);

    [LoggerMessage(Level = LogLevel.Information, Message = "Armed again from Redis after a restart: release {ReleaseId} generation {Generation} at {SwitchAt:O}")]
    private partial void LogRestored(long releaseId, long generation, DateTimeOffset switchAt);

    [LoggerMessage(Level = LogLevel.Information, Message = "Disarmed the switch to release {ReleaseId} generation {Generation}")]
    private partial void LogDisarmed(long releaseId, long generation);

    [LoggerMessage(Level = LogLevel.Information, Message = "Armed switch to release {ReleaseId} generation {Generation} ran {LateMs:0.0} ms after its instant; generation {Stored} is live")]
    private partial void LogSwitched(long releaseId, long generation, double lateMs, long stored);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Armed switch failed; retrying")]
    private partial void LogSwitchFailed(Exception exception);
}
