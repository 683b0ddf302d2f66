using ControlPlane.Client;

namespace Admin.UI.Components.Shared;

/// <summary>How one dataset changes between two releases: the versions and, where they differ, the diff's counts.</summary>
public sealed record DatasetChange(string Dataset, int? From, int? To, DiffPage? Diff)
{
    public static async Task<List<DatasetChange>> BetweenAsync(
        ControlPlaneClient api, IReadOnlyDictionary<string, int>? from, IReadOnlyDictionary<string, int> to, CancellationToken cancellationToken)
    {
        var changes = new List<DatasetChange>();
        foreach (var dataset in to.Keys.Union(from?.Keys ?? []).Order(StringComparer.Ordinal))
        {
            int? before = from is not null && from.TryGetValue(dataset, out var b) ? b : null;
            int? after = to.TryGetValue(dataset, out var a) ? a : null;
            DiffPage? diff = null;
            if (before is not null && after is not null && before != after)
            {
                diff = await api.DiffAsync(dataset, before.Value, after.Value, null, null, 1, cancellationToken);
            }

            changes.Add(new DatasetChange(dataset, before, after, diff));
        }

        return changes;
    }
}
