namespace ControlPlane.Contracts;

// The pull protocol between an agent and the control plane (docs/publish.md). Agents call the control
// plane; the control plane never calls agents (I4).

/// <summary>POST /api/v1/agents/register: an agent announces itself; registering again is harmless.</summary>
public sealed record AgentRegistration(string AgentId, string Environment, string Group);

public sealed record AgentRegistered(string AgentId, string Environment, string Group, int HeartbeatSeconds, int HotRetention);

/// <summary>
/// POST /api/v1/agents/{id}/report: the agent's state, sent on every change and as its heartbeat.
/// <see cref="SentAt"/> is the agent's clock, for skew reporting. <see cref="ClockOffsetMs"/> is the agent's clock minus
/// the control plane's, measured NTP-style on the previous report's round trip (<see cref="ClockHeaders.ServerTime"/>),
/// and <see cref="RoundTripMs"/> that round trip; both null until measured.
/// </summary>
public sealed record AgentReport(
    DateTimeOffset SentAt,
    long? LiveReleaseId,
    long LiveGeneration,
    IReadOnlyList<HeldRelease> Held,
    StagingProgress? Staging,
    string? LastError,
    bool RedisDataLost = false,
    double? ClockOffsetMs = null,
    double? RoundTripMs = null);

public static class ClockHeaders
{
    /// <summary>On the answer to a report: the control plane's clock (ISO 8601, UTC) when it answered.</summary>
    public const string ServerTime = "X-Control-Plane-Time";
}

/// <summary>A release whose every layer is staged and verified in the agent's Redis.</summary>
public sealed record HeldRelease(long ReleaseId, IReadOnlyDictionary<string, int> Layers);

/// <summary>Progress of the release the agent is staging now.</summary>
public sealed record StagingProgress(long ReleaseId, string Dataset, int Version, long RecordsStaged, long RecordsTotal, long Bytes);

/// <summary>
/// GET /api/v1/agents/{id}/desired?known=ETAG: what the agent should hold and what should be live.
/// The request is held until the state differs from <c>known</c> or the wait ends.
/// </summary>
public sealed record DesiredState(
    string ETag,
    string Environment,
    IReadOnlyList<ReleaseManifest> Hold,
    SwitchOrder? Live,
    int HotRetention);

/// <summary>A release's datasets and the expected count and content hash of each version, for verification.</summary>
public sealed record ReleaseManifest(long ReleaseId, IReadOnlyDictionary<string, DatasetVersionRef> Datasets);

/// <summary>
/// A dataset version of a manifest. <c>ChangeWatermark</c> is the last live change (sequence number of the dataset's change
/// log) the version includes: a release shows the version plus every change with a higher sequence number (README, "Live changes").
/// </summary>
public sealed record DatasetVersionRef(int Version, long Records, string ContentHash, long ChangeWatermark = 0);

/// <summary>
/// Switch the pointer to this release if the stored generation is lower than <see cref="Generation"/>. With
/// <see cref="SwitchAt"/> (a scheduled activation, armed) the agent holds the order and switches when its own clock reaches
/// that instant, whether or not the control plane is reachable then; without it, at once.
/// </summary>
public sealed record SwitchOrder(long ReleaseId, long Generation, DateTimeOffset? SwitchAt = null);

/// <summary>
/// One line of GET /api/v1/datasets/{d}/versions/{v}/changes?since=B&amp;after=SKU&amp;limit=N (NDJSON, sorted by SKU):
/// the record as it is in version v (<see cref="Data"/>, canonical JSON) or its deletion since version B.
/// Without <c>since</c> every record of v is listed. Response headers: <see cref="ChunkHeaders"/>.
/// </summary>
public sealed record ChangeLine(string Sku, string? Data, bool Deleted);

public static class ChunkHeaders
{
    /// <summary>Lower-case hex SHA-256 of the response body bytes.</summary>
    public const string Sha256 = "X-Chunk-Sha256";

    /// <summary>
    /// The SKU to pass as <c>after</c> for the next chunk, percent-encoded (decode it before use: SKUs may hold
    /// characters a header cannot); absent on the last chunk.
    /// </summary>
    public const string NextAfter = "X-Next-After";

    /// <summary>How many lines the chunk holds.</summary>
    public const string Lines = "X-Chunk-Lines";
}
