namespace ControlPlane.Datasets;

/// <summary>What an import came to; the endpoint turns each case into its HTTP answer.</summary>
public abstract record ImportOutcome
{
    public sealed record Created(VersionInfo Version) : ImportOutcome;

    /// <summary>The content equals the latest version: nothing was created.</summary>
    public sealed record Unchanged(VersionInfo Version) : ImportOutcome;

    public sealed record Invalid(string Detail, ImportErrors Errors) : ImportOutcome;

    public sealed record NotFound(string Detail) : ImportOutcome;

    public sealed record Conflict(string Detail) : ImportOutcome;

    public sealed record UnsupportedMediaType(string Detail) : ImportOutcome;
}

/// <summary>A version as the API shows it.</summary>
public sealed record VersionInfo(
    string Dataset,
    int Version,
    string Kind,
    int? BaseVersion,
    long Records,
    string ContentHash,
    long Added,
    long Changed,
    long Removed,
    DateTimeOffset CreatedAt,
    string CreatedBy,
    string? Note,
    IReadOnlyList<GuardrailWarning> Warnings,
    string Tier = "warm")
{
    /// <summary>
    /// The last live change (sequence number of the dataset's change log) this version includes; a release shows the
    /// version plus every change after it (README, "Live changes").
    /// </summary>
    public long ChangeWatermark { get; init; }
}

/// <summary>Advice attached to a version; releases of later issues ask for it to be acknowledged.</summary>
public sealed record GuardrailWarning(string Code, string Message, long Count, IReadOnlyList<string> Examples);
