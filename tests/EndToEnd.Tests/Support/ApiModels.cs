using System.Text.Json;

namespace EndToEnd.Tests.Support;

// The control plane's JSON as a client reads it; declared here so the tests check the wire format, not the server's types.

public sealed record VersionDto(string Dataset, int Version, string Kind, long Records, string ContentHash);

public sealed record RecordDto(string Sku, JsonElement Data);

public sealed record RecordPageDto(string Dataset, int Version, List<RecordDto> Items, string? NextAfter);

public sealed record ReleaseDto(long Id, string Environment, Dictionary<string, int> Versions, string? Note);

public sealed record ReleaseViewDto(ReleaseDto Release, string State, PublicationDto? Publication);

public sealed record PublicationAgentDto(
    string AgentId, string Group, string Phase, long RecordsStaged, long RecordsTotal, long Bytes, DateTimeOffset? StagedAt,
    DateTimeOffset? SwitchedAt, string? Error);

public sealed record PublicationDto(
    long Id, long ReleaseId, string Environment, string Kind, string State, long? Generation, long? PreviousReleaseId,
    DateTimeOffset RequestedAt, DateTimeOffset? StagedAt, DateTimeOffset? LiveAt, DateTimeOffset? EndedAt, string? Reason,
    List<PublicationAgentDto> Agents);

public sealed record StagingDto(long ReleaseId, string Dataset, int Version, long RecordsStaged, long RecordsTotal, long Bytes);

public sealed record AgentViewDto(
    string Id, string Environment, string Group, string Status, long? LiveReleaseId, long LiveGeneration, List<long> HeldReleases,
    StagingDto? Staging, string? LastError, bool RedisDataLost);

public sealed record GroupViewDto(string Name, List<AgentViewDto> Agents);

public sealed record EnvironmentViewDto(
    string Name, long Generation, ReleaseDto? LiveRelease, List<long> HotReleases, PublicationDto? InFlight, PublicationDto? Partial,
    List<GroupViewDto> Groups)
{
    public IEnumerable<AgentViewDto> Agents => Groups.SelectMany(g => g.Agents);
}

public sealed record ProblemDto(int Status, string Title, string? Detail);
