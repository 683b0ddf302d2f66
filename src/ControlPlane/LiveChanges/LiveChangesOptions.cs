using System.ComponentModel.DataAnnotations;

namespace ControlPlane.LiveChanges;

public sealed class LiveChangesOptions
{
    public const string SectionName = "Changes";

    /// <summary>Lines one batch may hold; larger batches are refused whole (413) before anything is stored.</summary>
    [Range(1, 100_000)]
    public int MaxBatchLines { get; set; } = 10_000;

    /// <summary>Largest batch body in bytes.</summary>
    [Range(1024, 256L * 1024 * 1024)]
    public long MaxBatchBytes { get; set; } = 16L * 1024 * 1024;

    /// <summary>Changes an agent gets per pull at most.</summary>
    [Range(1, 50_000)]
    public int MaxFeedPage { get; set; } = 5000;

    /// <summary>Fold the change log into a version once this many changes are not in one.</summary>
    [Range(1, 100_000_000)]
    public int FoldAfterChanges { get; set; } = 100_000;

    /// <summary>Fold the change log once its oldest change not in a version is this old.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "30.00:00:00")]
    public TimeSpan FoldAfterAge { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>How often one control plane instance checks whether to fold, and prunes.</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "1.00:00:00")]
    public TimeSpan FoldCheckInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Folded changes (and the batches and idempotency keys that brought them) are kept this long for audit, then pruned;
    /// the newest change of each SKU is kept regardless, as agents starting from an empty Redis replay it.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00", "3650.00:00:00")]
    public TimeSpan KeepFoldedFor { get; set; } = TimeSpan.FromDays(7);

    /// <summary>Whether the background folder runs on this instance (benchmarks and tests turn it off to fold on demand).</summary>
    public bool AutoFold { get; set; } = true;
}
