namespace ControlPlane.Client;

public sealed partial class ControlPlaneClient
{
    /// <summary>
    /// POST /api/v1/auth/login: a person's name and password give a short-lived bearer token of that user's role
    /// (the admin UI signs in with it; 401 when the name or password is wrong).
    /// </summary>
    public async Task<LoginResult> LoginAsync(string username, string password, CancellationToken cancellationToken = default) =>
        (await SendAsync<LoginResult>(Request(HttpMethod.Post, "api/v1/auth/login", Json(new LoginRequest(username, password))), cancellationToken)).Body;
}
