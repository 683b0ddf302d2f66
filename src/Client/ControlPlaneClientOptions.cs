namespace ControlPlane.Client;

/// <summary>How the client presents itself to the control plane.</summary>
public sealed record ControlPlaneClientOptions
{
    /// <summary>API token, sent as <c>Authorization: Bearer</c> on every request; none when null or empty.</summary>
    public string? Token { get; init; }
}
