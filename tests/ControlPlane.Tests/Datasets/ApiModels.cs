using System.Text.Json;

namespace ControlPlane.Tests.Datasets;

// The API's JSON as a client sees it; declared here so the tests check the wire format, not the server's types.

public sealed record WarningDto(string Code, string Message, long Count, List<string> Examples);

public sealed record VersionDto(
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
    List<WarningDto> Warnings,
    string Tier = "warm")
{
    /// <summary>The last live change the version includes (README, "Live changes").</summary>
    public long ChangeWatermark { get; init; }
}

public sealed record VersionPageDto(List<VersionDto> Items, int? NextBefore);

public sealed record RecordDto(string Sku, JsonElement Data);

public sealed record RecordPageDto(string Dataset, int Version, List<RecordDto> Items, string? NextAfter);

public sealed record DiffItemDto(string Sku, string Change, JsonElement? Before, JsonElement? After);

public sealed record DiffPageDto(string Dataset, int From, int To, long Added, long Changed, long Removed, List<DiffItemDto> Items, string? NextAfter);

public sealed record DatasetSummaryDto(string Name, string Description, List<string> Fields, VersionDto? Latest);
