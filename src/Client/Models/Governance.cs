namespace ControlPlane.Client;

// The JSON of the governance API (src/ControlPlane/Governance): pins and approvals.

/// <summary>A freeze of what is live in an environment (or one group of it).</summary>
public sealed record PinInfo(long Id, string Environment, string? Group, string Reason, DateTimeOffset CreatedAt, string CreatedBy);

public sealed record ApprovalInfo(string Approver, string Role, DateTimeOffset ApprovedAt, string? Comment, IReadOnlyList<string> AcknowledgedWarnings);

/// <summary>A guardrail warning of one of the release's versions; approvers acknowledge it by <see cref="Id"/>.</summary>
public sealed record ReleaseWarning(string Id, string Dataset, int Version, string Code, string Message);

/// <summary>Where a release stands against its environment's approval policy.</summary>
public sealed record ApprovalState(
    int Required, int Given, bool CreatorMayApprove, IReadOnlyList<ApprovalInfo> Approvals, IReadOnlyList<ReleaseWarning> Warnings,
    IReadOnlyList<string> UnacknowledgedWarnings)
{
    /// <summary>Publishing needs nothing more.</summary>
    public bool Satisfied => Given >= Required && UnacknowledgedWarnings.Count == 0;
}

public sealed record ApproveRequest(string? Comment = null, IReadOnlyList<string>? AcknowledgeWarnings = null);
