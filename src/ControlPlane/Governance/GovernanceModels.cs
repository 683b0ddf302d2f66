using ControlPlane.Identity;

namespace ControlPlane.Governance;

/// <summary>
/// Approval policy of an environment. Without a stored policy: no approvals needed (development), the creator may
/// not approve, and an admin may publish in an emergency.
/// </summary>
public sealed record EnvironmentPolicy(int RequiredApprovals, bool CreatorMayApprove, string? EmergencyRole, DateTimeOffset? UpdatedAt, string? UpdatedBy)
{
    public static readonly EnvironmentPolicy Default = new(0, false, Roles.Admin, null, null);
}

public sealed record PutPolicyRequest(int? RequiredApprovals, bool? CreatorMayApprove, string? EmergencyRole, string? Reason);

/// <summary>A pin freezes what is live in an environment (group null) or in one of its groups until removed.</summary>
public sealed record PinInfo(long Id, string Environment, string? Group, string Reason, DateTimeOffset CreatedAt, string CreatedBy);

public sealed record CreatePinRequest(string? Group, string? Reason);

public sealed record ApprovalInfo(string Approver, string Role, DateTimeOffset ApprovedAt, string? Comment, IReadOnlyList<string> AcknowledgedWarnings);

public sealed record ApproveRequest(string? Comment, List<string>? AcknowledgeWarnings);

/// <summary>A guardrail warning of one of a release's versions; <see cref="Id"/> is what an approver acknowledges.</summary>
public sealed record ReleaseWarning(string Id, string Dataset, int Version, string Code, string Message);

/// <summary>Where a release stands against its environment's approval policy.</summary>
public sealed record ApprovalState(
    int Required, int Given, bool CreatorMayApprove, IReadOnlyList<ApprovalInfo> Approvals, IReadOnlyList<ReleaseWarning> Warnings,
    IReadOnlyList<string> UnacknowledgedWarnings)
{
    /// <summary>Publishing needs nothing more (approvals and acknowledgements are complete).</summary>
    public bool Satisfied => Given >= Required && UnacknowledgedWarnings.Count == 0;
}

/// <summary>Who asks to publish, with what role, and whether as an emergency (with its reason).</summary>
public sealed record PublishAuthority(string Actor, string? Role = null, bool Emergency = false, string? Reason = null);
