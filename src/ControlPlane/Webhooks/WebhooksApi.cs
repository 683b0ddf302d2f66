using ControlPlane.Datasets;
using ControlPlane.Environments;
using ControlPlane.Identity;
using ControlPlane.Infrastructure;
using Microsoft.AspNetCore.Http.HttpResults;

namespace ControlPlane.Webhooks;

public static class WebhooksApi
{
    public static RouteGroupBuilder MapWebhooksApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/v1/environments/{env}/webhooks").WithTags("Webhooks");
        // Subscribing sends the environment's events to any URL, so it is an admin's decision; reading the log is not.
        group.MapPost("/", Create)
            .RequireAuthorization(Policies.Admin)
            .WithSummary("Subscribe a URL to the environment's release events; deliveries are signed with the secret (shown once).");
        group.MapGet("/", List).RequireAuthorization(Policies.Viewer);
        group.MapGet("/{id:long}", Get).RequireAuthorization(Policies.Viewer);
        group.MapDelete("/{id:long}", Delete).RequireAuthorization(Policies.Admin);
        group.MapGet("/{id:long}/deliveries", Deliveries)
            .RequireAuthorization(Policies.Viewer)
            .WithSummary("The delivery log: every event sent to this subscription, newest first, with each attempt's status, duration and error.");
        return group;
    }

    private static async Task<Results<Created<WebhookCreated>, ProblemHttpResult>> Create(
        string env, CreateWebhookRequest request, HttpContext context, EnvironmentStore environments, WebhookStore webhooks, TimeProvider time,
        CancellationToken cancellationToken)
    {
        if (!await environments.ExistsAsync(env, cancellationToken))
        {
            return Problems.NotFound($"There is no environment '{env}'.");
        }

        var errors = new List<object>();
        if (string.IsNullOrWhiteSpace(request.Url))
        {
            errors.Add(new { field = "url", message = "url is required: the absolute http or https URL events are POSTed to" });
        }
        else if (request.Url.Length > 2048 || !Uri.TryCreate(request.Url, UriKind.Absolute, out var uri)
            || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps) || !string.IsNullOrEmpty(uri.UserInfo))
        {
            errors.Add(new { field = "url", message = "url must be an absolute http or https URL of at most 2048 characters, without user info" });
        }

        if (request.Secret is { } secret && (secret.Length is < 16 or > 256 || secret.Any(char.IsControl)))
        {
            errors.Add(new { field = "secret", message = "secret must be 16 to 256 characters without control characters (or leave it out to have one generated)" });
        }

        var events = request.Events is { Length: > 0 } asked ? asked : [.. ReleaseEventKinds.All];
        for (var i = 0; i < events.Length; i++)
        {
            if (events[i] is null || !ReleaseEventKinds.IsKnown(events[i]))
            {
                errors.Add(new { field = $"events[{i}]", message = $"unknown event kind '{events[i]}'; known: {string.Join(", ", ReleaseEventKinds.All)}" });
            }
        }

        if (errors.Count > 0)
        {
            return Problems.Of(StatusCodes.Status400BadRequest, "Invalid webhook", "The subscription was not created.",
                new Dictionary<string, object?> { ["errors"] = errors });
        }

        var generated = request.Secret is null ? WebhookSignature.NewSecret() : null;
        var webhook = await webhooks.CreateAsync(env, request.Url!, request.Secret ?? generated!, [.. events.Distinct(StringComparer.Ordinal)],
            DatasetsApi.Actor(context), time.GetUtcNow(), cancellationToken);
        return TypedResults.Created($"/api/v1/environments/{env}/webhooks/{webhook.Id}", new WebhookCreated(webhook, generated));
    }

    private static async Task<Results<Ok<IReadOnlyList<WebhookView>>, ProblemHttpResult>> List(
        string env, EnvironmentStore environments, WebhookStore webhooks, CancellationToken cancellationToken) =>
        await environments.ExistsAsync(env, cancellationToken)
            ? TypedResults.Ok(await webhooks.ListAsync(env, cancellationToken))
            : Problems.NotFound($"There is no environment '{env}'.");

    private static async Task<Results<Ok<WebhookView>, ProblemHttpResult>> Get(string env, long id, WebhookStore webhooks, CancellationToken cancellationToken) =>
        await webhooks.GetAsync(env, id, cancellationToken) is { } webhook
            ? TypedResults.Ok(webhook)
            : Problems.NotFound($"Environment '{env}' has no webhook {id}.");

    private static async Task<Results<NoContent, ProblemHttpResult>> Delete(
        string env, long id, HttpContext context, WebhookStore webhooks, CancellationToken cancellationToken) =>
        await webhooks.DeleteAsync(env, id, DatasetsApi.Actor(context), cancellationToken)
            ? TypedResults.NoContent()
            : Problems.NotFound($"Environment '{env}' has no webhook {id}.");

    private static async Task<Results<Ok<IReadOnlyList<WebhookDeliveryView>>, ProblemHttpResult>> Deliveries(
        string env, long id, long? before, int? limit, WebhookStore webhooks, CancellationToken cancellationToken)
    {
        if (limit is < 1 or > 200)
        {
            return Problems.BadParameter("limit", "limit must be between 1 and 200.");
        }

        if (await webhooks.GetAsync(env, id, cancellationToken) is null)
        {
            return Problems.NotFound($"Environment '{env}' has no webhook {id}.");
        }

        return TypedResults.Ok(await webhooks.DeliveriesAsync(id, before, limit ?? 50, cancellationToken));
    }
}
