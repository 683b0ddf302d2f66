using ControlPlane.Contracts;

namespace ControlPlane.Client;

// The JSON of the environments and agents API (src/ControlPlane/Environments, Agents).

/// <summary>An environment at a glance: what is live, what else is hot, what is in flight, every agent.</summary>
public sealed record EnvironmentView(
    string Name,
    long Generation,
    ReleaseInfo? LiveRelease,
    DateTimeOffset? LiveSince,
    IReadOnlyList<long> HotReleases,
    PublicationInfo? InFlight,
    PublicationInfo? Partial,
    IReadOnlyList<GroupView> Groups)
{
    /// <summary>Active pins: while any is there, nothing new goes live.</summary>
    public IReadOnlyList<PinInfo> Pins { get; init; } = [];
}

public sealed record GroupView(string Name, IReadOnlyList<AgentView> Agents);

public sealed record EnvironmentSummary(string Name, IReadOnlyList<string> Groups, long? LiveReleaseId, long Generation)
{
    public IReadOnlyList<PinInfo> Pins { get; init; } = [];
}

public sealed record CreateEnvironmentRequest(string Name, IReadOnlyList<string> Groups);

/// <summary>An agent as the API shows it; <see cref="LagSeconds"/> only in an environment view.</summary>
public sealed record AgentView(
    string Id,
    string Environment,
    string Group,
    string Status,
    DateTimeOffset RegisteredAt,
    DateTimeOffset LastSeenAt,
    long? LiveReleaseId,
    long LiveGeneration,
    IReadOnlyList<long> HeldReleases,
    StagingProgress? Staging,
    string? LastError,
    bool RedisDataLost,
    double? ClockOffsetMs,
    double? LagSeconds = null);
