namespace ControlPlane.Reader;

/// <summary>
/// What one SKU is in one release: the canonical JSON of each dataset's record, or null where the SKU has
/// no record in that dataset's version.
/// </summary>
public sealed record PromotionData(string Sku, long ReleaseId, long Generation, IReadOnlyDictionary<string, string?> Datasets)
{
    public string? this[string dataset] => Datasets.TryGetValue(dataset, out var json) ? json : null;
}
