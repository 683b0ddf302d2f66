using System.Text.Json;

namespace Admin.UI.Api;

// Mirrors of the control plane's API contracts, as far as the UI reads them. They go when src/Client lands.

public sealed record GuardrailWarning(string Code, string Message, long Count, IReadOnlyList<string> Examples);

public sealed record VersionInfo(
    string Dataset, int Version, string Kind, int? BaseVersion, long Records, string ContentHash, long Added, long Changed,
    long Removed, DateTimeOffset CreatedAt, string CreatedBy, string? Note, IReadOnlyList<GuardrailWarning> Warnings)
{
    /// <summary>The storage tier, once the tiers API reports one; "hot" until then.</summary>
    public string? Tier { get; init; }
}

public sealed record DatasetSummary(string Name, string Description, IReadOnlyList<string> Fields, VersionInfo? Latest);

public sealed record VersionPage(IReadOnlyList<VersionInfo> Items, int? NextBefore);

public sealed record RecordItem(string Sku, JsonElement Data);

public sealed record DiffItem(string Sku, string Change, JsonElement? Before, JsonElement? After);

public sealed record DiffPage(string Dataset, int From, int To, long Added, long Changed, long Removed, IReadOnlyList<DiffItem> Items, string? NextAfter)
{
    public long Total => Added + Changed + Removed;
}

public sealed record ReleaseInfo(long Id, string Environment, IReadOnlyDictionary<string, int> Versions, string? Note, DateTimeOffset CreatedAt, string CreatedBy);

public sealed record PublicationAgent(
    string AgentId, string Group, string Phase, long RecordsStaged, long RecordsTotal, long Bytes,
    DateTimeOffset? StagedAt, DateTimeOffset? SwitchedAt, string? Error)
{
    public double Percent => Phase is "Staged" or "Switched" ? 100 : RecordsTotal <= 0 ? 0 : Math.Min(100, RecordsStaged * 100.0 / RecordsTotal);
}

public sealed record PhaseTimings(double? StagingSeconds, double? SwitchingSeconds, double? TotalSeconds);

public sealed record PublicationInfo(
    long Id, long ReleaseId, string Environment, string Kind, string State, long? Generation, long? PreviousReleaseId,
    DateTimeOffset RequestedAt, string RequestedBy, DateTimeOffset? StagedAt, DateTimeOffset? LiveAt, DateTimeOffset? EndedAt,
    string? Reason, PhaseTimings Timings, IReadOnlyList<PublicationAgent> Agents)
{
    public bool InFlight => State is "Staging" or "Staged" or "Switching";
}

public sealed record ReleaseView(ReleaseInfo Release, string State, PublicationInfo? Publication);

public sealed record StagingProgress(long? ReleaseId, long RecordsStaged, long RecordsTotal);

public sealed record AgentView(
    string Id, string Environment, string Group, string Status, DateTimeOffset RegisteredAt, DateTimeOffset LastSeenAt,
    long? LiveReleaseId, long LiveGeneration, IReadOnlyList<long> HeldReleases, JsonElement? Staging, string? LastError,
    bool RedisDataLost, double? ClockOffsetMs, double? LagSeconds);

public sealed record GroupView(string Name, IReadOnlyList<AgentView> Agents);

public sealed record EnvironmentView(
    string Name, long Generation, ReleaseInfo? LiveRelease, DateTimeOffset? LiveSince, IReadOnlyList<long> HotReleases,
    PublicationInfo? InFlight, PublicationInfo? Partial, IReadOnlyList<GroupView> Groups);

public sealed record EnvironmentSummary(string Name, IReadOnlyList<string> Groups, long? LiveReleaseId, long Generation);

public sealed record CreateReleaseRequest(string Environment, IReadOnlyDictionary<string, int> Versions, string? Note);

public sealed record RollbackRequest(long? ToRelease);

public sealed record LoginRequest(string Username, string Password);

/// <summary>The answer of POST /api/v1/auth/login: a bearer token for the user and the user's role.</summary>
public sealed record LoginResponse(string Token, string? Username, string? Role, DateTimeOffset? ExpiresAt);
