namespace ControlPlane.Tests.Support;

/// <summary>
/// A clock that stands still until the test moves it, for what depends on elapsed time without waiting for it
/// (an agent turning stale). Timers still run on real time: only <see cref="GetUtcNow"/> is the test's.
/// </summary>
public sealed class ManualTimeProvider(DateTimeOffset start) : TimeProvider
{
    private long _ticks = start.UtcTicks;

    public override DateTimeOffset GetUtcNow() => new(Interlocked.Read(ref _ticks), TimeSpan.Zero);

    public void Advance(TimeSpan by) => Interlocked.Add(ref _ticks, by.Ticks);
}
