using System.Text.Json;

namespace ControlPlane.Client;

// The JSON of the datasets API (src/ControlPlane/Datasets). Declared here rather than shared with the server so that
// the client reads the wire format and tolerates members a newer server adds.

public sealed record DatasetSummary(string Name, string Description, IReadOnlyList<string> Fields, VersionInfo? Latest);

/// <summary>A version of a dataset: immutable, with its record count and content hash.</summary>
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
    IReadOnlyList<GuardrailWarning> Warnings)
{
    /// <summary>"warm" (PostgreSQL) or "cold" (archived); null from a server without tiers.</summary>
    public string? Tier { get; init; }
}

/// <summary>Advice attached to a version (record count moved a lot, prices moved a lot, SKUs without product).</summary>
public sealed record GuardrailWarning(string Code, string Message, long Count, IReadOnlyList<string> Examples);

public sealed record VersionPage(IReadOnlyList<VersionInfo> Items, int? NextBefore);

/// <summary>A record in the canonical form the content hash is computed over (README, "Canonical form").</summary>
public sealed record RecordItem(string Sku, JsonElement Data);

public sealed record RecordPage(string Dataset, int Version, IReadOnlyList<RecordItem> Items, string? NextAfter);

public enum DiffChange
{
    Added,
    Changed,
    Removed,
}

public sealed record DiffItem(string Sku, DiffChange Change, JsonElement? Before, JsonElement? After);

/// <summary>Counts of the whole difference and one page of its items (sorted by SKU).</summary>
public sealed record DiffPage(string Dataset, int From, int To, long Added, long Changed, long Removed, IReadOnlyList<DiffItem> Items, string? NextAfter);

public enum ImportMode
{
    /// <summary>The body is the whole dataset; SKUs not in it are removed.</summary>
    Full,

    /// <summary>The body is a change set (upserts and deletes) on a base version.</summary>
    Delta,
}

/// <summary>Query parameters of an import (POST /api/v1/datasets/{dataset}/versions).</summary>
public sealed record ImportParameters
{
    public ImportMode Mode { get; init; } = ImportMode.Full;

    /// <summary>The version a delta applies to; the server takes the latest when absent.</summary>
    public int? Base { get; init; }

    /// <summary>Apply a delta on the latest version even when <see cref="Base"/> is older.</summary>
    public bool? Rebase { get; init; }

    /// <summary>Accept a full snapshot without records.</summary>
    public bool? AllowEmpty { get; init; }

    public string? Note { get; init; }
}

/// <summary>What an import made: a new version (201), or the latest one when the content equals it (200).</summary>
public sealed record ImportResult(VersionInfo Version, bool Created);

public static class ImportContentTypes
{
    public const string Ndjson = "application/x-ndjson";
    public const string Csv = "text/csv";
}
