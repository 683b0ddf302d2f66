using ControlPlane.Tests.Support;

namespace ControlPlane.Tests.Releases;

/// <summary>
/// A clock that moves only when the test moves it, so deadlines (minutes by default) never pass on their own and
/// agents turn stale exactly when told. Two hot releases besides the live one, and a quick sweep, so that what the
/// sweeper brings about (an agent removed) shows soon.
/// </summary>
public sealed class ManualClockFixture : ControlPlaneFixture
{
    public ManualTimeProvider Clock { get; } = new(FixedTimeProvider.Default);

    public override TimeProvider Time => Clock;

    protected override IEnumerable<KeyValuePair<string, string?>> Settings =>
    [
        new("Agents:HotRetention", "2"),
        new("Agents:StaleAfterSeconds", "15"),
        new("Publish:SweepInterval", "00:00:00.200"),
    ];
}

/// <summary>Real time with a stage deadline as short as the options allow (1 s) and a sweep every 200 ms.</summary>
public sealed class StageDeadlineFixture : ControlPlaneFixture
{
    public override TimeProvider Time => TimeProvider.System;

    protected override IEnumerable<KeyValuePair<string, string?>> Settings =>
    [
        new("Publish:StageTimeout", "00:00:01"),
        new("Publish:SwitchTimeout", "00:01:00"),
        new("Publish:SweepInterval", "00:00:00.200"),
    ];
}

/// <summary>Real time with a switch deadline as short as the options allow (1 s) and a sweep every 200 ms.</summary>
public sealed class SwitchDeadlineFixture : ControlPlaneFixture
{
    public override TimeProvider Time => TimeProvider.System;

    protected override IEnumerable<KeyValuePair<string, string?>> Settings =>
    [
        new("Publish:StageTimeout", "00:01:00"),
        new("Publish:SwitchTimeout", "00:00:01"),
        new("Publish:SweepInterval", "00:00:00.200"),
    ];
}
