using System.Security.Claims;

namespace Admin.UI.Security;

/// <summary>What the UI can do on behalf of a role; the control plane refuses the rest anyway.</summary>
public enum UiAction
{
    CreateRelease,
    Publish,
    Rollback,
    Approve,
    ManageWaves,
    Schedule,
    ReadAudit,
    Pin,
}

/// <summary>The signed-in user as the UI's cookie carries it: name, role and the user's own API bearer token.</summary>
public sealed record UserSession(string Name, string Role, string? Token)
{
    public const string TokenClaim = "cp:token";

    public static UserSession? From(ClaimsPrincipal user) =>
        user.Identity?.IsAuthenticated == true
            ? new UserSession(
                user.Identity.Name ?? "unknown",
                user.FindFirst(ClaimTypes.Role)?.Value ?? RolePermissions.Viewer,
                user.FindFirst(TokenClaim)?.Value)
            : null;

    public ClaimsPrincipal ToPrincipal(string scheme)
    {
        var claims = new List<Claim> { new(ClaimTypes.Name, Name), new(ClaimTypes.Role, Role) };
        if (Token is not null)
        {
            claims.Add(new Claim(TokenClaim, Token));
        }

        return new ClaimsPrincipal(new ClaimsIdentity(claims, scheme, ClaimTypes.Name, ClaimTypes.Role));
    }

    public bool Can(UiAction action) => RolePermissions.Allows(Role, action);

    /// <summary>An emergency publish (without approvals) is the policy's emergency role's, or an admin's.</summary>
    public bool CanPublishInEmergency(string? emergencyRole) => Role == RolePermissions.Admin || (emergencyRole is not null && Role == emergencyRole);
}

/// <summary>The control plane's roles (viewer &lt; operator; approver approves; admin does everything).</summary>
public static class RolePermissions
{
    public const string Viewer = "viewer";
    public const string Operator = "operator";
    public const string Approver = "approver";
    public const string Admin = "admin";

    public static bool Allows(string role, UiAction action) => role switch
    {
        Admin => true,
        Operator => action is UiAction.CreateRelease or UiAction.Publish or UiAction.Rollback or UiAction.ManageWaves or UiAction.Schedule,
        Approver => action is UiAction.Approve,
        _ => false,
    };

    /// <summary>Why a button is disabled, in words.</summary>
    public static string Refusal(string role, UiAction action) => $"Your role ({role}) cannot {Describe(action)}.";

    private static string Describe(UiAction action) => action switch
    {
        UiAction.CreateRelease => "create releases",
        UiAction.Publish => "publish",
        UiAction.Rollback => "roll back",
        UiAction.Approve => "approve releases",
        UiAction.ManageWaves => "promote or abort waves",
        UiAction.Schedule => "create or cancel schedules",
        UiAction.ReadAudit => "read the audit log",
        UiAction.Pin => "pin or unpin (admins only)",
        _ => action.ToString(),
    };
}
