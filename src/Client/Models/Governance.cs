namespace ControlPlane.Client;

// The JSON of the governance API (src/ControlPlane/Governance): approval policies, approvals, pins.

/// <summary>How many approvals a release of the environment needs, whether its creator may approve, who may publish in an emergency.</summary>
public sealed record EnvironmentPolicy(int RequiredApprovals, bool CreatorMayApprove, string? EmergencyRole, DateTimeOffset? UpdatedAt, string? UpdatedBy);

public sealed record PutPolicyRequest(int RequiredApprovals, bool? CreatorMayApprove = null, string? EmergencyRole = null, string? Reason = null);

/// <summary>A pin freezes what is live in an environment (<see cref="Group"/> null) or one group until removed.</summary>
public sealed record PinInfo(long Id, string Environment, string? Group, string Reason, DateTimeOffset CreatedAt, string CreatedBy);

public sealed record CreatePinRequest(string? Group, string Reason);

public sealed record ApprovalInfo(string Approver, string Role, DateTimeOffset ApprovedAt, string? Comment, IReadOnlyList<string> AcknowledgedWarnings);

public sealed record ApproveRequest(string? Comment = null, IReadOnlyList<string>? AcknowledgeWarnings = null);

/// <summary>A guardrail warning of one of a release's versions; <see cref="Id"/> is what an approver acknowledges.</summary>
public sealed record ReleaseWarning(string Id, string Dataset, int Version, string Code, string Message);

/// <summary>Where a release stands against its environment's approval policy.</summary>
public sealed record ApprovalState(
    int Required, int Given, bool CreatorMayApprove, IReadOnlyList<ApprovalInfo> Approvals, IReadOnlyList<ReleaseWarning> Warnings,
    IReadOnlyList<string> UnacknowledgedWarnings, bool Satisfied);
