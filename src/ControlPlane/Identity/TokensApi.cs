using System.Text.RegularExpressions;
using ControlPlane.Audit;
using ControlPlane.Infrastructure;
using Microsoft.AspNetCore.Http.HttpResults;
using Npgsql;

namespace ControlPlane.Identity;

/// <summary>
/// POST body of /api/v1/tokens. <c>name</c> is the identity the token acts as (changes are recorded under it);
/// <c>expiresAt</c> or <c>expiresInDays</c> (at most one) bound its life; agent tokens name their <c>agentId</c>.
/// </summary>
public sealed record CreateTokenRequest(string? Name, string? Role, DateTimeOffset? ExpiresAt, int? ExpiresInDays, string? AgentId);

/// <summary>The answer to a token's creation: the only time its secret is shown.</summary>
public sealed record CreatedToken(string Token, TokenInfo Info);

public static partial class TokensApi
{
    public static RouteGroupBuilder MapTokensApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/v1/tokens").WithTags("Identity").RequireAuthorization(Policies.Admin);
        group.MapPost("/", Create).WithSummary("Make an API token; the answer holds the token, shown this once (only its hash is kept).");
        group.MapGet("/", List).WithSummary("Tokens without their secrets; revoked and expired ones with all=true.");
        group.MapDelete("/{id:long}", Revoke).WithSummary("Revoke a token: it fails from the next request on.");
        return group;
    }

    private static async Task<Results<Created<CreatedToken>, ProblemHttpResult>> Create(
        CreateTokenRequest request, HttpContext context, NpgsqlDataSource dataSource, TokenStore tokens, AuditLog audit, TimeProvider time,
        CancellationToken cancellationToken)
    {
        if (request.Name is null || !NamePattern().IsMatch(request.Name))
        {
            return Problems.BadParameter("name", "name is 1 to 128 letters, digits and _ . @ : - starting with a letter or digit.");
        }

        if (!Roles.IsKnown(request.Role))
        {
            return Problems.BadParameter("role", $"role must be one of {string.Join(", ", Roles.All)}.");
        }

        if (request.Role == Roles.Agent)
        {
            if (request.AgentId is null || !Names.IsAgentId(request.AgentId))
            {
                return Problems.BadParameter("agentId", "an agent token needs agentId: 1 to 128 letters, digits and . _ : - starting with a letter or digit.");
            }
        }
        else if (request.AgentId is not null)
        {
            return Problems.BadParameter("agentId", "only agent tokens (role agent) are bound to an agentId.");
        }

        if (request.ExpiresAt is not null && request.ExpiresInDays is not null)
        {
            return Problems.BadParameter("expiresAt", "give expiresAt or expiresInDays, not both.");
        }

        var now = time.GetUtcNow();
        if (request.ExpiresInDays is < 1 or > 3650)
        {
            return Problems.BadParameter("expiresInDays", "expiresInDays must be between 1 and 3650.");
        }

        var expiresAt = request.ExpiresAt ?? (request.ExpiresInDays is { } days ? now.AddDays(days) : null);
        if (expiresAt <= now)
        {
            return Problems.BadParameter("expiresAt", "expiresAt must be in the future.");
        }

        var actor = Actor.Of(context);
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var (info, secret) = await tokens.CreateAsync(connection, request.Name, request.Role!, request.AgentId, "api", expiresAt, actor, cancellationToken);
        await audit.AppendAsync(connection, transaction, new AuditEntry(actor, AuditKinds.TokenCreate, Target: $"token:{info.Id}", After: info), cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return TypedResults.Created($"/api/v1/tokens/{info.Id}", new CreatedToken(secret, info));
    }

    private static async Task<Ok<IReadOnlyList<TokenInfo>>> List(bool? all, TokenStore tokens, CancellationToken cancellationToken) =>
        TypedResults.Ok(await tokens.ListAsync(all ?? false, cancellationToken));

    private static async Task<Results<Ok<TokenInfo>, ProblemHttpResult>> Revoke(
        long id, string? reason, HttpContext context, NpgsqlDataSource dataSource, TokenStore tokens, AuditLog audit, CancellationToken cancellationToken)
    {
        var actor = Actor.Of(context);
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        if (await tokens.GetAsync(connection, id, cancellationToken) is not { } before)
        {
            return Problems.NotFound($"There is no token {id}.");
        }

        if (!await tokens.RevokeAsync(connection, id, actor, cancellationToken))
        {
            return Problems.Conflict($"Token {id} was revoked at {before.RevokedAt:O} by {before.RevokedBy}.");
        }

        var after = (await tokens.GetAsync(connection, id, cancellationToken))!;
        await audit.AppendAsync(connection, transaction, new AuditEntry(actor, AuditKinds.TokenRevoke, Target: $"token:{id}", Reason: reason, Before: before, After: after), cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return TypedResults.Ok(after);
    }

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9_.@:-]{0,127}$")]
    internal static partial Regex NamePattern();
}
