using System.Security.Claims;

namespace ControlPlane.Identity;

/// <summary>Claims of an authenticated token and the helpers that read them.</summary>
public static class IdentityClaims
{
    public const string AgentId = "cp:agent_id";
    public const string TokenId = "cp:token_id";
    public const string TokenKind = "cp:token_kind";

    public static ClaimsPrincipal Principal(AuthenticatedToken token, string scheme)
    {
        List<Claim> claims =
        [
            new(ClaimTypes.Name, token.Name),
            new(ClaimTypes.Role, token.Role),
            new(TokenId, token.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)),
            new(TokenKind, token.Kind),
        ];
        if (token.AgentId is not null)
        {
            claims.Add(new Claim(AgentId, token.AgentId));
        }

        return new ClaimsPrincipal(new ClaimsIdentity(claims, scheme, ClaimTypes.Name, ClaimTypes.Role));
    }

    public static string? Role(this ClaimsPrincipal user) => user.FindFirstValue(ClaimTypes.Role);

    public static string? AgentIdOf(this ClaimsPrincipal user) => user.FindFirstValue(AgentId);

    public static long? TokenIdOf(this ClaimsPrincipal user) =>
        long.TryParse(user.FindFirstValue(TokenId), System.Globalization.CultureInfo.InvariantCulture, out var id) ? id : null;
}
