using ControlPlane.Contracts;

namespace ControlPlane.Tests.Releases;

// The JSON of the environments, agents and releases API as an operator's client sees it; declared here so the
// tests check the wire format, not the server's types. Agents' own messages are the shared protocol contract
// (ControlPlane.Contracts), which the agents compile against too.

public sealed record ReleaseDto(long Id, string Environment, Dictionary<string, int> Versions, string? Note, DateTimeOffset CreatedAt, string CreatedBy);

public sealed record TimingsDto(double? StagingSeconds, double? SwitchingSeconds, double? TotalSeconds);

public sealed record PublicationAgentDto(
    string AgentId, string Group, string Phase, long RecordsStaged, long RecordsTotal, long Bytes,
    DateTimeOffset? StagedAt, DateTimeOffset? SwitchedAt, string? Error);

public sealed record PublicationDto(
    long Id, long ReleaseId, string Environment, string Kind, string State, long? Generation, long? PreviousReleaseId,
    DateTimeOffset RequestedAt, string RequestedBy, DateTimeOffset? StagedAt, DateTimeOffset? LiveAt, DateTimeOffset? EndedAt,
    string? Reason, TimingsDto Timings, List<PublicationAgentDto> Agents)
{
    public PublicationAgentDto Agent(string id) => Agents.Single(a => a.AgentId == id);
}

public sealed record ReleaseViewDto(ReleaseDto Release, string State, PublicationDto? Publication);

public sealed record AgentDto(
    string Id, string Environment, string Group, string Status, DateTimeOffset RegisteredAt, DateTimeOffset LastSeenAt,
    long? LiveReleaseId, long LiveGeneration, List<long> HeldReleases, StagingProgress? Staging, string? LastError,
    bool RedisDataLost, double? ClockOffsetMs, double? LagSeconds = null, bool ClockSkewed = false)
{
    public List<AgentChangeLagDto> Changes { get; init; } = [];
}

public sealed record AgentChangeLagDto(string Dataset, long AppliedSeq, long LastSeq, long LagChanges, double LagSeconds, DateTimeOffset? ReportedAt);

public sealed record GroupDto(string Name, List<AgentDto> Agents);

public sealed record EnvironmentDto(
    string Name, long Generation, ReleaseDto? LiveRelease, DateTimeOffset? LiveSince, List<long> HotReleases,
    PublicationDto? InFlight, PublicationDto? Partial, List<GroupDto> Groups);

public sealed record EnvironmentSummaryDto(string Name, List<string> Groups, long? LiveReleaseId, long Generation);
