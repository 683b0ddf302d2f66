namespace ControlPlane.Client;

/// <summary>How the client presents itself to the control plane.</summary>
public sealed record ControlPlaneClientOptions
{
    /// <summary>API token, sent as <c>Authorization: Bearer</c> on every request; none when null or empty.</summary>
    public string? Token { get; init; }

    /// <summary>
    /// Sent as <c>Idempotency-Key</c> on every POST of this client: a retried request with the same key and body
    /// returns the first answer instead of acting twice. Give each operation its own client and key.
    /// </summary>
    public string? IdempotencyKey { get; init; }
}
