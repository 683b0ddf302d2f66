namespace ControlPlane.Client;

/// <summary>How the client presents itself to the control plane.</summary>
public sealed record ControlPlaneClientOptions
{
    /// <summary>API token, sent as <c>Authorization: Bearer</c> on every request; none when null or empty.</summary>
    public string? Token { get; init; }

    /// <summary>
    /// Name recorded as the author of changes while the server takes it from the <c>X-Actor</c> header;
    /// with tokens the server takes the token's identity instead.
    /// </summary>
    public string? Actor { get; init; }
}
