namespace ControlPlane.Waves;

/// <summary>How a publication goes live in waves: groups wave by wave, or a canary share of agents then the rest.</summary>
public sealed record WaveRequest(List<List<string?>?>? Groups, int? CanaryPercent, int? HoldSeconds);

/// <summary>One wave of a publication as the API shows it.</summary>
public sealed record WaveInfo(
    int Wave, IReadOnlyList<string>? Groups, IReadOnlyList<string> Agents, string State, long? Generation,
    DateTimeOffset? StartedAt, string? StartedBy, DateTimeOffset? StagedAt, DateTimeOffset? LiveAt, DateTimeOffset? EndedAt)
{
    /// <summary>From the wave's start to its barrier.</summary>
    public double? StagingSeconds => StartedAt is { } s && StagedAt is { } t ? (t - s).TotalSeconds : null;

    /// <summary>From the barrier to every agent of the wave switched.</summary>
    public double? SwitchingSeconds => StagedAt is { } s && LiveAt is { } l ? (l - s).TotalSeconds : null;
}

/// <summary>States of a wave.</summary>
public static class WaveStates
{
    public const string Pending = "Pending";
    public const string Staging = "Staging";
    public const string Switching = "Switching";
    public const string Live = "Live";
    public const string Reverting = "Reverting";
    public const string Reverted = "Reverted";
    public const string Cancelled = "Cancelled";
    public const string Failed = "Failed";
}
