using ControlPlane.Audit;
using ControlPlane.Infrastructure;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using Npgsql;

namespace ControlPlane.Identity;

public sealed record LoginRequest(string? Username, string? Password);

/// <summary>A short-lived bearer token for the UI, and who it acts as.</summary>
public sealed record LoginResult(string Token, string Username, string Role, DateTimeOffset ExpiresAt);

public sealed record CreateUserRequest(string? Username, string? Password, string? Role);

public static class AuthApi
{
    public const int MinPasswordLength = 12;

    public static IEndpointRouteBuilder MapAuthApi(this IEndpointRouteBuilder app)
    {
        app.MapPost("/api/v1/auth/login", Login).WithTags("Identity").AllowAnonymous()
            .WithSummary("UI login: the username and password give a bearer token that expires after Identity:SessionLifetime.");
        app.MapGet("/api/v1/auth/me", Me).WithTags("Identity").RequireAuthorization(Policies.Viewer)
            .WithSummary("Who the presented token acts as, and its role.");
        var users = app.MapGroup("/api/v1/users").WithTags("Identity").RequireAuthorization(Policies.Admin);
        users.MapPost("/", CreateUser);
        users.MapGet("/", ListUsers);
        return app;
    }

    private static async Task<Results<Ok<LoginResult>, ProblemHttpResult>> Login(
        LoginRequest request, HttpContext context, UserStore users, TokenStore tokens, NpgsqlDataSource dataSource, AuditLog audit,
        IOptions<IdentityOptions> options, TimeProvider time, CancellationToken cancellationToken)
    {
        if (string.IsNullOrEmpty(request.Username) || string.IsNullOrEmpty(request.Password) || request.Username.Length > 128 || request.Password.Length > 1024)
        {
            return Problems.BadParameter("username", "username and password are required.");
        }

        if (await users.VerifyAsync(request.Username, request.Password, cancellationToken) is not { } user)
        {
            context.Response.Headers.WWWAuthenticate = "Bearer realm=\"control-plane\"";
            return Problems.Of(StatusCodes.Status401Unauthorized, "Unauthorized", "The username or password is wrong, or the user is disabled.");
        }

        var expiresAt = time.GetUtcNow() + options.Value.SessionLifetime;
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var (info, secret) = await tokens.CreateAsync(connection, user.Username, user.Role, null, "session", expiresAt, user.Username, cancellationToken);
        await audit.AppendAsync(connection, transaction, new AuditEntry(user.Username, AuditKinds.Login, Target: $"token:{info.Id}"), cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return TypedResults.Ok(new LoginResult(secret, user.Username, user.Role, expiresAt));
    }

    private static Ok<WhoAmI> Me(HttpContext context) =>
        TypedResults.Ok(new WhoAmI(Actor.Of(context), Actor.RoleOf(context) ?? "", context.User.AgentIdOf()));

    private static async Task<Results<Created<UserInfo>, ProblemHttpResult>> CreateUser(
        CreateUserRequest request, HttpContext context, UserStore users, NpgsqlDataSource dataSource, AuditLog audit, CancellationToken cancellationToken)
    {
        if (request.Username is null || !TokensApi.NamePattern().IsMatch(request.Username) || request.Username.Contains(':', StringComparison.Ordinal))
        {
            return Problems.BadParameter("username", "username is 1 to 128 letters, digits and _ . @ - starting with a letter or digit.");
        }

        if (request.Password is null || request.Password.Length < MinPasswordLength || request.Password.Length > 1024)
        {
            return Problems.BadParameter("password", $"password must be {MinPasswordLength} to 1024 characters.");
        }

        if (request.Role is null || !Roles.People.Contains(request.Role))
        {
            return Problems.BadParameter("role", $"role must be one of {string.Join(", ", Roles.People)}.");
        }

        var actor = Actor.Of(context);
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        if (await users.InsertAsync(connection, request.Username, request.Password, request.Role, actor, cancellationToken) is not { } user)
        {
            return Problems.Conflict($"There is a user '{request.Username}' already.");
        }

        await audit.AppendAsync(connection, transaction, new AuditEntry(actor, AuditKinds.UserCreate, Target: $"user:{user.Username}", After: user), cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return TypedResults.Created($"/api/v1/users/{user.Username}", user);
    }

    private static async Task<Ok<IReadOnlyList<UserInfo>>> ListUsers(UserStore users, CancellationToken cancellationToken) =>
        TypedResults.Ok(await users.ListAsync(cancellationToken));
}

public sealed record WhoAmI(string Name, string Role, string? AgentId);
