namespace ControlPlane.Tiers;

/// <summary>
/// Retention of one environment. Hot: the live release and the last <see cref="HotReleases"/> releases stay in the
/// agents' Redis. Warm: a version stays in PostgreSQL while it is younger than <see cref="WarmDays"/> days or among
/// the last <see cref="WarmVersions"/> versions of its dataset. Cold: archives are kept for ever, or
/// <see cref="ColdKeepDays"/> days. <see cref="Datasets"/> overrides the warm and cold settings per dataset.
/// </summary>
public sealed record TierPolicy(
    int HotReleases,
    int WarmDays,
    int WarmVersions,
    int? ColdKeepDays,
    IReadOnlyDictionary<string, DatasetTierPolicy> Datasets)
{
    public int WarmDaysOf(string dataset) => Datasets.TryGetValue(dataset, out var d) && d.WarmDays is { } days ? days : WarmDays;

    public int WarmVersionsOf(string dataset) => Datasets.TryGetValue(dataset, out var d) && d.WarmVersions is { } versions ? versions : WarmVersions;

    /// <summary>Days an archive of the dataset is kept in cold storage; null keeps it for ever.</summary>
    public int? ColdKeepDaysOf(string dataset) => Datasets.TryGetValue(dataset, out var d) && d.ColdKeepDays is { } days ? days : ColdKeepDays;
}

public sealed record DatasetTierPolicy(int? WarmDays, int? WarmVersions, int? ColdKeepDays);

/// <summary>Body of PUT /api/v1/environments/{env}/tiers/policy; absent fields keep the defaults.</summary>
public sealed record TierPolicyRequest(
    int? HotReleases,
    int? WarmDays,
    int? WarmVersions,
    int? ColdKeepDays,
    IReadOnlyDictionary<string, DatasetTierPolicy>? Datasets);

/// <summary>A policy and what it does now: which releases are hot, which versions leave warm at the next archive run.</summary>
public sealed record TierPolicyView(
    string Environment,
    TierPolicy Policy,
    bool IsDefault,
    DateTimeOffset? UpdatedAt,
    string? UpdatedBy,
    TierEffect Effect);

public sealed record TierEffect(
    string Summary,
    IReadOnlyList<long> HotReleases,
    IReadOnlyList<long> ReleasesLeavingHot,
    IReadOnlyList<long> ReleasesEnteringHot,
    IReadOnlyList<DatasetTierEffect> Datasets);

public sealed record DatasetTierEffect(
    string Dataset,
    int WarmVersions,
    int ColdVersions,
    IReadOnlyList<int> WarmWindow,
    IReadOnlyList<int> ToArchive,
    IReadOnlyList<ProtectedVersion> Protected);

public sealed record ProtectedVersion(int Version, IReadOnlyList<string> Reasons);
