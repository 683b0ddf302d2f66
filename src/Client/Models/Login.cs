namespace ControlPlane.Client;

// The JSON of the login API (src/ControlPlane/Identity/AuthApi.cs).

public sealed record LoginRequest(string Username, string Password);

/// <summary>A bearer token for the user, its role and when it expires.</summary>
public sealed record LoginResult(string Token, string Username, string Role, DateTimeOffset ExpiresAt);
