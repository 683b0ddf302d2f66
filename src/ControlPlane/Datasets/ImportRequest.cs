namespace ControlPlane.Datasets;

public enum ImportMode
{
    Full,
    Delta,

    /// <summary>Folds the live change log into a new version (kind "fold"); no body.</summary>
    Fold,
}

/// <summary>The parameters of one import besides its body.</summary>
public sealed record ImportRequest(
    DatasetDefinition Dataset,
    ImportMode Mode,
    int? BaseVersion,
    bool Rebase,
    bool AllowEmpty,
    string CreatedBy,
    string? Note)
{
    /// <summary>The body's Content-Length when the client sent one; used only to size buffers.</summary>
    public long? ExpectedBytes { get; init; }
}
