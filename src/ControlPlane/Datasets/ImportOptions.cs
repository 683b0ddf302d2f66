using System.ComponentModel.DataAnnotations;

namespace ControlPlane.Datasets;

public sealed class ImportOptions
{
    public const string SectionName = "Import";

    /// <summary>Largest accepted import body; larger ones are answered 413.</summary>
    [Range(1024, long.MaxValue)]
    public long MaxBodyBytes { get; set; } = 1L << 30;

    /// <summary>Imports of one dataset are serialized; a second one waits this long for the first.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "01:00:00")]
    public TimeSpan LockTimeout { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>A change set larger than this many lines is refused; use a full snapshot instead.</summary>
    [Range(1, 10_000_000)]
    public int MaxChangeSetLines { get; set; } = 1_000_000;
}

public sealed class GuardrailOptions
{
    public const string SectionName = "Guardrails";

    /// <summary>Warn when a version's record count differs from the previous one by more than this percent.</summary>
    [Range(0, 100_000)]
    public double MaxRecordCountChangePercent { get; set; } = 10;

    /// <summary>Warn when a price amount moves by more than this percent against the previous version.</summary>
    [Range(0, 100_000)]
    public double MaxPriceMovePercent { get; set; } = 50;

    /// <summary>
    /// Whether a release whose versions carry warnings needs each acknowledged by an approver before it is published,
    /// whatever the environment's approval policy (an emergency publish with a reason bypasses it, audited). Turn off
    /// only where nobody reviews releases (development and test deployments).
    /// </summary>
    public bool RequireAcknowledgement { get; set; } = true;

    /// <summary>How many example SKUs a warning lists.</summary>
    [Range(0, 1000)]
    public int ExampleCount { get; set; } = 10;
}
