using System.Globalization;

namespace ControlPlane.Client;

public sealed partial class ControlPlaneClient
{
    /// <summary>
    /// POST /api/v1/auth/login: a person's name and password give a short-lived bearer token of that user's role
    /// (the admin UI signs in with it; 401 when the name or password is wrong).
    /// </summary>
    public async Task<LoginResult> LoginAsync(string username, string password, CancellationToken cancellationToken = default) =>
        (await SendAsync<LoginResult>(Request(HttpMethod.Post, "api/v1/auth/login", Json(new { username, password })), cancellationToken)).Body;

    /// <summary>GET /api/v1/auth/me: who the client's token acts as, and its role.</summary>
    public async Task<WhoAmI> WhoAmIAsync(CancellationToken cancellationToken = default) =>
        (await SendAsync<WhoAmI>(Request(HttpMethod.Get, "api/v1/auth/me"), cancellationToken)).Body;

    /// <summary>POST /api/v1/tokens (admin): the answer holds the secret, shown this once.</summary>
    public async Task<CreatedToken> CreateTokenAsync(CreateTokenRequest request, CancellationToken cancellationToken = default) =>
        (await SendAsync<CreatedToken>(Request(HttpMethod.Post, "api/v1/tokens", Json(request)), cancellationToken)).Body;

    /// <summary>GET /api/v1/tokens (admin): without secrets; revoked and expired ones too with <paramref name="all"/>.</summary>
    public async Task<IReadOnlyList<TokenInfo>> ListTokensAsync(bool all = false, CancellationToken cancellationToken = default) =>
        (await SendAsync<List<TokenInfo>>(Request(HttpMethod.Get, Query("api/v1/tokens", ("all", all ? true : null))), cancellationToken)).Body;

    /// <summary>DELETE /api/v1/tokens/{id} (admin): the token fails from the next request on.</summary>
    public async Task<TokenInfo> RevokeTokenAsync(long id, string? reason = null, CancellationToken cancellationToken = default) =>
        (await SendAsync<TokenInfo>(Request(HttpMethod.Delete, Query($"api/v1/tokens/{id}", ("reason", reason))), cancellationToken)).Body;

    /// <summary>POST /api/v1/users (admin).</summary>
    public async Task<UserInfo> CreateUserAsync(CreateUserRequest request, CancellationToken cancellationToken = default) =>
        (await SendAsync<UserInfo>(Request(HttpMethod.Post, "api/v1/users", Json(request)), cancellationToken)).Body;

    /// <summary>GET /api/v1/users (admin).</summary>
    public async Task<IReadOnlyList<UserInfo>> ListUsersAsync(CancellationToken cancellationToken = default) =>
        (await SendAsync<List<UserInfo>>(Request(HttpMethod.Get, "api/v1/users"), cancellationToken)).Body;

    /// <summary>GET /api/v1/audit: entries newest first, filtered; page on with <see cref="AuditPage.NextBefore"/>.</summary>
    public async Task<AuditPage> ListAuditAsync(AuditFilter? filter = null, CancellationToken cancellationToken = default)
    {
        filter ??= new AuditFilter();
        var path = Query("api/v1/audit",
            ("from", filter.From?.ToUniversalTime().ToString("O", CultureInfo.InvariantCulture)),
            ("to", filter.To?.ToUniversalTime().ToString("O", CultureInfo.InvariantCulture)),
            ("actor", filter.Actor), ("environment", filter.Environment), ("kind", filter.Kind), ("before", filter.Before), ("limit", filter.Limit));
        return (await SendAsync<AuditPage>(Request(HttpMethod.Get, path), cancellationToken)).Body;
    }
}
