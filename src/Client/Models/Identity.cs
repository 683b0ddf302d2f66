using System.Text.Json;

namespace ControlPlane.Client;

// The JSON of the identity and audit API (src/ControlPlane/Identity, Audit).

/// <summary>Roles a token or user carries (viewer &lt; operator; approver; admin; agent).</summary>
public static class TokenRoles
{
    public const string Viewer = "viewer";
    public const string Operator = "operator";
    public const string Approver = "approver";
    public const string Admin = "admin";
    public const string Agent = "agent";
}

/// <summary>A short-lived bearer token for a user, its role and when it expires.</summary>
public sealed record LoginResult(string Token, string Username, string Role, DateTimeOffset ExpiresAt);

/// <summary>Who the presented token acts as.</summary>
public sealed record WhoAmI(string Name, string Role, string? AgentId);

/// <summary>
/// POST /api/v1/tokens: <see cref="Name"/> is the identity the token acts as; at most one of the expiries;
/// agent tokens name their <see cref="AgentId"/>.
/// </summary>
public sealed record CreateTokenRequest(string Name, string Role, DateTimeOffset? ExpiresAt = null, int? ExpiresInDays = null, string? AgentId = null);

/// <summary>A token as lists show it: never the secret.</summary>
public sealed record TokenInfo(
    long Id, string Name, string Role, string? AgentId, string Kind, string Prefix, DateTimeOffset CreatedAt, string CreatedBy,
    DateTimeOffset? ExpiresAt, DateTimeOffset? RevokedAt, string? RevokedBy, DateTimeOffset? LastUsedAt);

/// <summary>The answer to a token's creation: the only time its secret is shown.</summary>
public sealed record CreatedToken(string Token, TokenInfo Info);

public sealed record CreateUserRequest(string Username, string Password, string Role);

public sealed record UserInfo(string Username, string Role, DateTimeOffset CreatedAt, string CreatedBy, DateTimeOffset? DisabledAt);

/// <summary>One audit entry: who changed what, when, where and why, with the state before and after.</summary>
public sealed record AuditRecord(
    long Id, DateTimeOffset At, string Actor, string Kind, string? Environment, string? Target, string? Reason, JsonElement? Before, JsonElement? After);

/// <summary>A page of audit entries, newest first; <see cref="NextBefore"/> asks for the next (older) page.</summary>
public sealed record AuditPage(IReadOnlyList<AuditRecord> Items, long? NextBefore);

/// <summary>Filters of GET /api/v1/audit; <see cref="Kind"/> is exact or a prefix such as "release".</summary>
public sealed record AuditFilter(
    DateTimeOffset? From = null, DateTimeOffset? To = null, string? Actor = null, string? Environment = null, string? Kind = null,
    long? Before = null, int? Limit = null);
