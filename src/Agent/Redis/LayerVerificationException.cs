namespace Agent.Redis;

/// <summary>A written layer's record count or content hash differs from the manifest's; it was not recorded.</summary>
public sealed class LayerVerificationException(
    string dataset, int version, int layer, long expectedRecords, string expectedHash, long actualRecords, string actualHash)
    : Exception($"Layer {dataset}:{layer} for version {version} does not verify: expected {expectedRecords} records and {expectedHash}, " +
        $"wrote {actualRecords} records and {actualHash}.")
{
    public string Dataset => dataset;

    public int Version => version;
}
