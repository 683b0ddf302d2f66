namespace Agent.Loop;

/// <summary>Exponential backoff with jitter, for retrying a control plane or Redis that is down.</summary>
public sealed class Backoff(TimeProvider time, TimeSpan initial, TimeSpan max)
{
    private int _failures;

    public TimeSpan Next()
    {
        var exponent = Math.Min(_failures++, 16);
        var delay = Math.Min(max.TotalMilliseconds, initial.TotalMilliseconds * Math.Pow(2, exponent));
        // Jitter spreads out the agents that all lost the same control plane at once.
#pragma warning disable CA5394 // not security-relevant
        return TimeSpan.FromMilliseconds(delay * (0.75 + (Random.Shared.NextDouble() * 0.5)));
#pragma warning restore CA5394
    }

    public Task WaitAsync(CancellationToken cancellationToken) => Task.Delay(Next(), time, cancellationToken);

    public void Reset() => _failures = 0;
}
