using ControlPlane.Contracts;

namespace Agent.Loop;

/// <summary>Which layers stand for which release: a layer represents a dataset version when version, count and hash agree.</summary>
public static class HeldReleases
{
    public static LayerInfo? LayerFor(IEnumerable<LayerInfo> layers, string dataset, DatasetVersionRef version) =>
        layers.Where(l => l.Dataset == dataset && l.Version == version.Version && l.Records == version.Records && l.ContentHash == version.ContentHash)
            .MaxBy(l => l.Layer);

    /// <summary>The releases of <paramref name="manifests"/> whose every dataset has a complete layer.</summary>
    public static IReadOnlyList<HeldRelease> Compute(IEnumerable<ReleaseManifest> manifests, IReadOnlyList<LayerInfo> layers)
    {
        var held = new List<HeldRelease>();
        foreach (var manifest in manifests)
        {
            var byDataset = new Dictionary<string, int>(StringComparer.Ordinal);
            foreach (var (dataset, version) in manifest.Datasets)
            {
                if (LayerFor(layers, dataset, version) is { } layer)
                {
                    byDataset[dataset] = layer.Layer;
                }
            }

            if (byDataset.Count == manifest.Datasets.Count)
            {
                held.Add(new HeldRelease(manifest.ReleaseId, byDataset));
            }
        }

        return held;
    }
}
