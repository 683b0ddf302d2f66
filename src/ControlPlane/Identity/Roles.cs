namespace ControlPlane.Identity;

/// <summary>The role a token or user carries. Each token has exactly one.</summary>
public static class Roles
{
    /// <summary>Reads everything.</summary>
    public const string Viewer = "viewer";

    /// <summary>Reads; imports, creates releases, publishes and rolls back.</summary>
    public const string Operator = "operator";

    /// <summary>Reads; approves releases (and acknowledges their guardrail warnings).</summary>
    public const string Approver = "approver";

    /// <summary>Everything people can do: also environments, policies, pins, tokens and users.</summary>
    public const string Admin = "admin";

    /// <summary>An agent: registers, reports and reads its own desired state and the data it stages. Nothing else.</summary>
    public const string Agent = "agent";

    public static readonly IReadOnlyList<string> All = [Viewer, Operator, Approver, Admin, Agent];

    /// <summary>Roles of people (and CI), as opposed to agents.</summary>
    public static readonly IReadOnlyList<string> People = [Viewer, Operator, Approver, Admin];

    public static bool IsKnown(string? role) => role is not null && All.Contains(role);
}
