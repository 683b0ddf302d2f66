namespace ControlPlane.Releases;

/// <summary>
/// The optional body of POST /api/v1/releases/{id}/publish. <see cref="Emergency"/> publishes without the approvals
/// the environment's policy asks for; only the policy's emergency role may, and <see cref="Reason"/> is then required
/// (it goes to the audit log).
/// </summary>
public sealed record PublishRequest(bool? Emergency, string? Reason);
