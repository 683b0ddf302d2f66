namespace ControlPlane.Contracts;

// Live changes between the control plane and agents (README, "Live changes"). The agent pulls the change log of each
// dataset at its own pace and writes every change, with the position it reached, in one Lua script (I4, I5).

/// <summary>
/// One change of a dataset's log: the record after the change (canonical JSON), or null when the SKU was deleted.
/// Adjustments are resolved by the control plane when accepted, so an agent only ever writes absolute values.
/// </summary>
public sealed record LiveChange(long Seq, string Sku, string? Data);

/// <summary>
/// GET /api/v1/agents/{id}/changes?dataset=D&amp;after=S&amp;limit=N&amp;waitSeconds=W: the changes with a sequence number above
/// <c>After</c>, in sequence order. Held until there is one or the wait ends (then <c>Changes</c> is
/// empty). <c>LastSeq</c> is the dataset's newest sequence number when the page was read.
/// </summary>
public sealed record LiveChangePage(string Dataset, long After, long LastSeq, IReadOnlyList<LiveChange> Changes);
