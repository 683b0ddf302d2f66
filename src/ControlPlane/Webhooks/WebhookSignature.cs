using System.Security.Cryptography;
using System.Text;

namespace ControlPlane.Webhooks;

/// <summary>The headers of a delivery and how its body is signed (README: "Waves, canary and webhooks").</summary>
public static class WebhookSignature
{
    /// <summary><c>sha256=</c> and the lower-case hex HMAC-SHA256 of the body bytes, keyed with the subscription's secret (UTF-8).</summary>
    public const string SignatureHeader = "X-Signature-256";

    /// <summary>Unix seconds when the attempt was sent; the body carries the event's own time.</summary>
    public const string TimestampHeader = "X-Webhook-Timestamp";

    /// <summary>The event id: the same on every retry, so receivers can drop duplicates.</summary>
    public const string EventIdHeader = "X-Webhook-Event-Id";

    public const string EventKindHeader = "X-Webhook-Event";

    public const string DeliveryIdHeader = "X-Webhook-Delivery";

    public static string Sign(string secret, ReadOnlySpan<byte> body) =>
        "sha256=" + Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), body));

    /// <summary>A new random secret: 32 bytes, URL-safe base64.</summary>
    public static string NewSecret() =>
        "whsec_" + Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
