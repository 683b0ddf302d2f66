namespace ControlPlane.Tests.Support;

/// <summary>A clock that always says the same instant, so createdAt can be asserted exactly.</summary>
public sealed class FixedTimeProvider(DateTimeOffset now) : TimeProvider
{
    // Whole seconds: PostgreSQL keeps microseconds, so the value survives a round trip unchanged.
    public static readonly DateTimeOffset Default = new(2025, 3, 14, 15, 9, 26, TimeSpan.Zero);

    public override DateTimeOffset GetUtcNow() => now;
}
