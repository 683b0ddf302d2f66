namespace ControlPlane.Client;

// The JSON of the tiers API (src/ControlPlane/Tiers).

/// <summary>The versions of a dataset with their tier, newest first.</summary>
public sealed record DatasetTiers(string Dataset, IReadOnlyList<VersionTier> Versions, int? NextBefore);

/// <summary>
/// Where a version lives: <see cref="Tier"/> is "warm" (PostgreSQL) or "cold" (archive). <see cref="ProtectedBecause"/>
/// names what keeps it warm, e.g. "live in prod" or "hot in prod (release 3)": those are also in the agents' Redis.
/// </summary>
public sealed record VersionTier(
    int Version, string Tier, long Records, bool InWarmWindow, bool LeavesWarm, IReadOnlyList<string> ProtectedBecause,
    long? ColdStoredBytes, DateTimeOffset? ArchivedAt)
{
    /// <summary>Held by the agents' Redis of some environment (live or kept for an instant rollback).</summary>
    public bool IsHot => ProtectedBecause.Any(reason => reason.StartsWith("live in ", StringComparison.Ordinal) || reason.StartsWith("hot in ", StringComparison.Ordinal));
}
