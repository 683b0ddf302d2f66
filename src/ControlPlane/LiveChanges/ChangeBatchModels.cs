namespace ControlPlane.LiveChanges;

public enum LiveChangeOp
{
    Upsert,
    Delete,
    Adjust,
}

/// <summary>A batch line that passed the dataset's rules: an upsert's canonical record, a deletion, or a stock adjustment.</summary>
public sealed record ParsedChange(long Line, string Sku, LiveChangeOp Op, string? Canonical, long? Delta);

/// <summary>The answer to POST /api/v1/datasets/{dataset}/changes, line by line (README, "Live changes").</summary>
public sealed record ChangeBatchAnswer(
    string Dataset,
    long? Batch,
    int Lines,
    int Accepted,
    int Rejected,
    long? FirstSeq,
    long? LastSeq,
    IReadOnlyList<AcceptedChange> AcceptedLines,
    IReadOnlyList<RejectedChange> RejectedLines)
{
    /// <summary>True when this is the stored answer of an earlier request with the same Idempotency-Key.</summary>
    public bool Replayed { get; init; }
}

public sealed record AcceptedChange(long Line, string Sku, long Seq);

/// <summary>A refused line: <see cref="Status"/> is 400 for a line that is wrong in itself (or names an unknown SKU), 409 when stock would go negative.</summary>
public sealed record RejectedChange(long Line, string? Sku, string? Field, int Status, string Message);

/// <summary>One entry of the change log as the audit listing shows it.</summary>
public sealed record ChangeEntry(
    long Seq, string Sku, string Op, long? Delta, string? Data, long Batch, DateTimeOffset AcceptedAt, int? FoldedInto);

public sealed record ChangeLogPage(string Dataset, IReadOnlyList<ChangeEntry> Items, long? NextAfter);

/// <summary>The state of a dataset's change log.</summary>
public sealed record ChangeStreamView(
    string Dataset,
    long LastSeq,
    bool AllowOversell,
    int? LatestVersion,
    long LatestWatermark,
    long Unfolded,
    DateTimeOffset? OldestUnfoldedAt);

public sealed record ChangePolicy(bool AllowOversell);

/// <summary>What an agent has applied of one dataset's change log, and how far behind it is.</summary>
public sealed record AgentChangeLag(string Dataset, long AppliedSeq, long LastSeq, long LagChanges, double LagSeconds, DateTimeOffset? ReportedAt);
