using System.Text.Json;
using ControlPlane.Agents;
using ControlPlane.Datasets;
using ControlPlane.Infrastructure;
using Npgsql;

namespace ControlPlane.Tiers;

/// <summary>A version as the planner sees it.</summary>
public sealed record PlannedVersion(int Version, DateTimeOffset CreatedAt, string Tier, long Records);

/// <summary>Where a dataset's versions belong under the policies in force.</summary>
public sealed class DatasetPlan(DatasetDefinition dataset, IReadOnlyList<PlannedVersion> versions)
{
    public DatasetDefinition Dataset { get; } = dataset;

    public IReadOnlyList<PlannedVersion> Versions { get; } = versions;

    /// <summary>Versions inside the warm window of at least one environment.</summary>
    public SortedSet<int> WarmWindow { get; } = [];

    /// <summary>Versions that must stay warm whatever the windows say, with why (live, in flight, hot, pinned ...).</summary>
    public SortedDictionary<int, List<string>> Protected { get; } = [];

    /// <summary>Warm versions outside every window and unprotected: the archive job's work.</summary>
    public IEnumerable<int> ToArchive => Versions
        .Where(v => v.Tier == "warm" && !WarmWindow.Contains(v.Version) && !Protected.ContainsKey(v.Version))
        .Select(v => v.Version);

    public bool MustStayWarm(int version) => WarmWindow.Contains(version) || Protected.ContainsKey(version);

    /// <summary>
    /// Days a cold archive of the dataset is kept: the longest of every environment's policy (versions are shared), and
    /// null (for ever) as soon as one policy keeps them for ever.
    /// </summary>
    public int? ColdKeepDays { get; set; }
}

public sealed record TierPlan(IReadOnlyDictionary<string, DatasetPlan> Datasets, IReadOnlyDictionary<string, IReadOnlyList<long>> HotReleases);

/// <summary>
/// Decides which versions must stay warm: the warm window of every environment (versions are shared by all
/// environments, so the most generous policy wins), and every protected version: live, part of a release in
/// flight, hot in any environment (the releases its agents hold, computed as the agents' desired state is), and
/// whatever the <c>protected_versions</c> view adds (pins, schedules).
/// </summary>
public sealed class TierPlanner(TierPolicyStore policies, TimeProvider time)
{
    /// <param name="connection">Read inside the caller's transaction when it has one (the archive's delete step).</param>
    /// <param name="policyOverride">An environment's proposed policy, to show its effect before it is saved.</param>
    /// <param name="cancellationToken">Cancels the reads.</param>
    public async Task<TierPlan> PlanAsync(NpgsqlConnection connection, (string Environment, TierPolicy Policy)? policyOverride, CancellationToken cancellationToken)
    {
        var byEnvironment = await policies.AllAsync(connection, cancellationToken);
        if (policyOverride is { } proposed)
        {
            byEnvironment[proposed.Environment] = proposed.Policy;
        }

        var effective = byEnvironment.Count > 0 ? byEnvironment.Values.ToList() : [policies.Default];

        var versions = DatasetDefinition.All.ToDictionary(d => d.Id, _ => new List<PlannedVersion>());
        await using (var command = connection.Command(
            "SELECT dataset_id, version, created_at, tier, records FROM dataset_versions ORDER BY dataset_id, version"))
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                if (versions.TryGetValue(reader.GetInt16(0), out var list))
                {
                    list.Add(new PlannedVersion(reader.GetInt32(1), reader.GetFieldValue<DateTimeOffset>(2), reader.GetString(3), reader.GetInt64(4)));
                }
            }
        }

        var plans = DatasetDefinition.All.ToDictionary(d => d.Name, d => new DatasetPlan(d, versions[d.Id]), StringComparer.Ordinal);
        var now = time.GetUtcNow();
        foreach (var plan in plans.Values)
        {
            var coldKeeps = effective.Select(p => p.ColdKeepDaysOf(plan.Dataset.Name)).ToList();
            plan.ColdKeepDays = coldKeeps.Any(k => k is null) ? null : coldKeeps.Max();
            foreach (var policy in effective)
            {
                var days = policy.WarmDaysOf(plan.Dataset.Name);
                var count = policy.WarmVersionsOf(plan.Dataset.Name);
                foreach (var version in plan.Versions.TakeLast(count))
                {
                    plan.WarmWindow.Add(version.Version);
                }

                if (days > 0)
                {
                    foreach (var version in plan.Versions.Where(v => v.CreatedAt > now.AddDays(-days)))
                    {
                        plan.WarmWindow.Add(version.Version);
                    }
                }
            }
        }

        var byId = DatasetDefinition.All.ToDictionary(d => d.Id, d => plans[d.Name]);
        await using (var command = connection.Command("SELECT dataset_id, version, reason FROM protected_versions"))
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                if (byId.TryGetValue(reader.GetInt16(0), out var plan))
                {
                    Protect(plan, reader.GetInt32(1), reader.GetString(2));
                }
            }
        }

        var hot = new Dictionary<string, IReadOnlyList<long>>(StringComparer.Ordinal);
        foreach (var (environment, policy) in byEnvironment)
        {
            var (hold, live) = await DesiredStateBuilder.HoldAsync(connection, environment, policy.HotReleases, cancellationToken);
            hot[environment] = hold;
            foreach (var (releaseId, datasetVersions) in await ReleaseVersionsAsync(connection, hold, cancellationToken))
            {
                foreach (var (dataset, version) in datasetVersions)
                {
                    if (plans.TryGetValue(dataset, out var plan))
                    {
                        Protect(plan, version, releaseId == live?.ReleaseId ? $"live in {environment}" : $"hot in {environment} (release {releaseId})");
                    }
                }
            }
        }

        return new TierPlan(plans, hot);
    }

    private static void Protect(DatasetPlan plan, int version, string reason)
    {
        if (!plan.Protected.TryGetValue(version, out var reasons))
        {
            plan.Protected[version] = reasons = [];
        }

        if (!reasons.Contains(reason))
        {
            reasons.Add(reason);
        }
    }

    private static async Task<List<(long Release, Dictionary<string, int> Versions)>> ReleaseVersionsAsync(
        NpgsqlConnection connection, List<long> releases, CancellationToken cancellationToken)
    {
        var result = new List<(long, Dictionary<string, int>)>();
        if (releases.Count == 0)
        {
            return result;
        }

        await using var command = connection.Command("SELECT id, versions::text FROM releases WHERE id = ANY(@ids)", ("ids", releases.ToArray()));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            result.Add((reader.GetInt64(0), JsonSerializer.Deserialize<Dictionary<string, int>>(reader.GetString(1))!));
        }

        return result;
    }
}
