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

public sealed record GroupView(string Name, IReadOnlyList<AgentView> Agents)
{
    /// <summary>The releases the group's agents serve, most common first; during a publication in waves the groups already switched show the new one.</summary>
    public IReadOnlyList<long> LiveReleases { get; init; } = [];
}

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
    double? LagSeconds = null)
{
    /// <summary>Per dataset with live changes: the last change this agent applied and how far behind it is.</summary>
    public IReadOnlyList<AgentChangeLag> Changes { get; init; } = [];

    /// <summary>The agent's clock is further off the control plane's than allowed: scheduled switches are not armed on it.</summary>
    public bool ClockSkewed { get; init; }
}

/// <summary>What an agent has applied of one dataset's live changes: its sequence, the newest one, how many and how long behind.</summary>
public sealed record AgentChangeLag(string Dataset, long AppliedSeq, long LastSeq, long LagChanges, double LagSeconds, DateTimeOffset? ReportedAt);
