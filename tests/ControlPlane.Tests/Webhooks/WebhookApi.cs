using System.Net;
using System.Net.Http.Json;
using ControlPlane.Tests.Support;

namespace ControlPlane.Tests.Webhooks;

public sealed record WebhookDto(long Id, string Environment, string Url, List<string> Events, DateTimeOffset CreatedAt, string CreatedBy);

public sealed record WebhookCreatedDto(WebhookDto Webhook, string? Secret);

public sealed record AttemptDto(int Attempt, DateTimeOffset StartedAt, double DurationMs, int? StatusCode, string? Error);

public sealed record DeliveryDto(
    long Id, long EventId, string Kind, long? ReleaseId, string State, int Attempts, DateTimeOffset CreatedAt, DateTimeOffset? NextAttemptAt,
    DateTimeOffset? EndedAt, int? LastStatus, string? LastError, List<AttemptDto> AttemptLog);

public static class WebhookApi
{
    public static Task<HttpResponseMessage> PostWebhookAsync(this HttpClient client, string environment, object body) =>
        client.PostAsJsonAsync($"/api/v1/environments/{environment}/webhooks", body, Http.Json);

    public static async Task<WebhookCreatedDto> SubscribeAsync(this HttpClient client, string environment, string url, string? secret = null, string[]? events = null)
    {
        using var response = await client.PostWebhookAsync(environment, new { url, secret, events });
        return await Http.ReadAsync<WebhookCreatedDto>(response, HttpStatusCode.Created);
    }

    public static Task<List<DeliveryDto>> DeliveriesAsync(this HttpClient client, string environment, long webhookId) =>
        client.GetOkAsync<List<DeliveryDto>>($"/api/v1/environments/{environment}/webhooks/{webhookId}/deliveries");
}
