namespace ControlPlane.Tiers;

/// <summary>
/// A version's archive cannot be used: a chunk or the manifest is missing, fails its checksum, or does not decode
/// to what the manifest promises. Reported with the version and chunk; nothing read from it reaches anyone.
/// </summary>
public sealed class ColdArchiveException(string dataset, int version, int? chunk, string key, string problem)
    : Exception(chunk is { } c
        ? $"The cold archive of {dataset} version {version} is damaged: chunk {c} ({key}) {problem}."
        : $"The cold archive of {dataset} version {version} is damaged: {key} {problem}.")
{
    public string Dataset { get; } = dataset;

    public int Version { get; } = version;

    public int? Chunk { get; } = chunk;

    public string Key { get; } = key;

    public string Problem { get; } = problem;
}
