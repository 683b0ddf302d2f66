using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;

namespace ControlPlane.Identity;

/// <summary>
/// <c>Authorization: Bearer &lt;token&gt;</c>: the token's SHA-256 is looked up in api_tokens. A missing or wrong
/// token is answered 401 with <c>WWW-Authenticate</c>, a token without the needed role 403; both as ProblemDetails.
/// </summary>
public sealed class BearerTokenHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder, TokenStore tokens,
    IProblemDetailsService problems)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "Bearer";

    private const string FailureKey = "cp:auth-failure";

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        // The authorization middleware authenticates even for anonymous endpoints; those (health, login) must not
        // depend on PostgreSQL answering a token lookup.
        var headers = Request.Headers.Authorization;
        if (headers.Count == 0 || Context.GetEndpoint()?.Metadata.GetMetadata<IAllowAnonymous>() is not null)
        {
            return AuthenticateResult.NoResult();
        }

        var header = headers.Count == 1 ? headers[0] ?? "" : "";
        if (!header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            return Fail("The Authorization header is not one bearer token (Authorization: Bearer <token>).");
        }

        var token = header["Bearer ".Length..].Trim();
        if (token.Length is 0 or > BearerTokens.MaxLength)
        {
            return Fail("The bearer token is empty or too long.");
        }

        return await tokens.FindAsync(token, Context.RequestAborted) switch
        {
            TokenLookup.Valid valid => AuthenticateResult.Success(new AuthenticationTicket(IdentityClaims.Principal(valid.Token, SchemeName), SchemeName)),
            TokenLookup.Expired expired => Fail($"The token expired at {expired.At:O}."),
            TokenLookup.Revoked revoked => Fail($"The token was revoked at {revoked.At:O}."),
            _ => Fail("The token is not known."),
        };
    }

    protected override async Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        var failure = Context.Items[FailureKey] as string;
        Response.StatusCode = StatusCodes.Status401Unauthorized;
        Response.Headers.WWWAuthenticate = failure is null
            ? "Bearer realm=\"control-plane\""
            : "Bearer realm=\"control-plane\", error=\"invalid_token\"";
        await WriteAsync(StatusCodes.Status401Unauthorized, "Unauthorized",
            failure ?? "A token is required: send Authorization: Bearer <token> (see README, Identity, roles and audit).");
    }

    protected override async Task HandleForbiddenAsync(AuthenticationProperties properties)
    {
        Response.StatusCode = StatusCodes.Status403Forbidden;
        var role = Context.User.Role() ?? "none";
        await WriteAsync(StatusCodes.Status403Forbidden, "Forbidden",
            $"The token's role '{role}' may not {Request.Method} {Request.Path}.");
    }

    private AuthenticateResult Fail(string reason)
    {
        Context.Items[FailureKey] = reason;
        return AuthenticateResult.Fail(reason);
    }

    private async Task WriteAsync(int status, string title, string detail) =>
        await problems.TryWriteAsync(new ProblemDetailsContext
        {
            HttpContext = Context,
            ProblemDetails = new ProblemDetails { Status = status, Title = title, Detail = detail },
        });
}
