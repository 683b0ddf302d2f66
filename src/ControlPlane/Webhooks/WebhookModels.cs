namespace ControlPlane.Webhooks;

/// <summary>POST /api/v1/environments/{env}/webhooks. Without <see cref="Secret"/> one is generated and shown once.</summary>
public sealed record CreateWebhookRequest(string? Url, string? Secret, string[]? Events);

/// <summary>A subscription as the API shows it; the secret is never shown after creation.</summary>
public sealed record WebhookView(long Id, string Environment, string Url, IReadOnlyList<string> Events, DateTimeOffset CreatedAt, string CreatedBy);

/// <summary>The answer to a creation: the subscription and, when the server generated it, its secret (shown this once).</summary>
public sealed record WebhookCreated(WebhookView Webhook, string? Secret);

public sealed record WebhookAttemptView(int Attempt, DateTimeOffset StartedAt, double DurationMs, int? StatusCode, string? Error);

/// <summary>One event delivered (or being delivered) to one subscription, with every attempt.</summary>
public sealed record WebhookDeliveryView(
    long Id, long EventId, string Kind, long? ReleaseId, string State, int Attempts, DateTimeOffset CreatedAt,
    DateTimeOffset? NextAttemptAt, DateTimeOffset? EndedAt, int? LastStatus, string? LastError, IReadOnlyList<WebhookAttemptView> AttemptLog);

/// <summary>Delivery states: Pending (due or waiting to retry), Delivered (a 2xx answer), Failed (out of attempts).</summary>
public static class DeliveryStates
{
    public const string Pending = "Pending";
    public const string Delivered = "Delivered";
    public const string Failed = "Failed";
}
