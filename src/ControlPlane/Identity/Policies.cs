namespace ControlPlane.Identity;

/// <summary>
/// Authorization policy names, applied per endpoint with <c>.RequireAuthorization(Policies.X)</c>. An endpoint
/// without any is admin-only (the fallback policy), so a forgotten annotation fails closed.
/// </summary>
public static class Policies
{
    /// <summary>Reads: viewer, operator, approver, admin.</summary>
    public const string Viewer = "viewer";

    /// <summary>Import, create release, publish, rollback: operator, admin.</summary>
    public const string Operator = "operator";

    /// <summary>Approve a release: approver, admin.</summary>
    public const string Approver = "approver";

    /// <summary>Environments, policies, pins, tokens, users, agent removal: admin.</summary>
    public const string Admin = "admin";

    /// <summary>
    /// Agent protocol: an agent token whose agent id equals the route's <c>{id}</c> (when the route has one; the
    /// registration checks its body's agentId itself).
    /// </summary>
    public const string Agent = "agent";

    /// <summary>The data agents stage (version changes): any reader, or any agent.</summary>
    public const string ViewerOrAgent = "viewer-or-agent";
}
