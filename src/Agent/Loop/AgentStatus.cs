using ControlPlane.Contracts;

namespace Agent.Loop;

/// <summary>What the agent reports: kept current by <see cref="AgentLoop"/>, read by every report and heartbeat.</summary>
public sealed class AgentStatus(TimeProvider time)
{
    private readonly Lock _lock = new();
    private long? _liveRelease;
    private long _liveGeneration;
    private IReadOnlyList<HeldRelease> _held = [];
    private StagingProgress? _staging;
    private string? _lastError;
    private bool _redisDataLost;
    private double? _clockOffsetMs;
    private double? _roundTripMs;

    public bool RedisDataLost
    {
        get
        {
            lock (_lock)
            {
                return _redisDataLost;
            }
        }

        set
        {
            lock (_lock)
            {
                _redisDataLost = value;
            }
        }
    }

    public void SetLive(LivePointer? live)
    {
        lock (_lock)
        {
            _liveRelease = live?.Release;
            _liveGeneration = live?.Generation ?? 0;
        }
    }

    public void SetHeld(IReadOnlyList<HeldRelease> held)
    {
        lock (_lock)
        {
            _held = held;
        }
    }

    public void SetStaging(StagingProgress? staging)
    {
        lock (_lock)
        {
            _staging = staging;
        }
    }

    public void SetError(string? error)
    {
        lock (_lock)
        {
            _lastError = error;
        }
    }

    /// <summary>The latest measurement of this clock against the control plane's (milliseconds this clock is ahead).</summary>
    public void SetClockOffset(double offsetMs, double roundTripMs)
    {
        lock (_lock)
        {
            (_clockOffsetMs, _roundTripMs) = (offsetMs, roundTripMs);
        }
    }

    public AgentReport ToReport()
    {
        lock (_lock)
        {
            return new AgentReport(
                time.GetUtcNow(), _liveRelease, _liveGeneration, _held, _staging, _lastError, _redisDataLost, _clockOffsetMs, _roundTripMs);
        }
    }
}
