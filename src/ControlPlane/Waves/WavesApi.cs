using ControlPlane.Datasets;
using ControlPlane.Identity;
using ControlPlane.Infrastructure;
using ControlPlane.Releases;
using Microsoft.AspNetCore.Http.HttpResults;

namespace ControlPlane.Waves;

/// <summary>Optional body of POST .../abort: why, kept in the publication's reason and the event.</summary>
public sealed record AbortRequest(string? Reason);

public static class WavesApi
{
    public static RouteGroupBuilder MapWavesApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/v1/releases").WithTags("Releases");
        group.MapPost("/{id:long}/promote", Promote)
            .RequireAuthorization(Policies.Operator)
            .WithSummary("Start the next wave of the release's publication; 409 unless it is Holding after a wave went live.");
        group.MapPost("/{id:long}/abort", Abort)
            .RequireAuthorization(Policies.Operator)
            .WithSummary("Stop the release's publication in waves: waves not yet switched are cancelled, waves already live go back to the release live before.");
        return group;
    }

    private static async Task<Results<Ok<PublicationInfo>, ProblemHttpResult>> Promote(
        long id, HttpContext context, PublicationCoordinator coordinator, CancellationToken cancellationToken) =>
        Answer(await coordinator.PromoteAsync(id, DatasetsApi.Actor(context), cancellationToken));

    private static async Task<Results<Ok<PublicationInfo>, ProblemHttpResult>> Abort(
        long id, AbortRequest? request, HttpContext context, PublicationCoordinator coordinator, CancellationToken cancellationToken)
    {
        if (request?.Reason is { Length: > 1000 })
        {
            return Problems.BadParameter("reason", "reason is at most 1000 characters.");
        }

        return Answer(await coordinator.AbortAsync(id, DatasetsApi.Actor(context), request?.Reason, cancellationToken));
    }

    private static Results<Ok<PublicationInfo>, ProblemHttpResult> Answer(PublishOutcome outcome) => outcome switch
    {
        PublishOutcome.Started started => TypedResults.Ok(started.Publication),
        PublishOutcome.NotFound notFound => Problems.NotFound(notFound.Detail),
        PublishOutcome.Conflict conflict => Problems.Conflict(conflict.Detail),
        PublishOutcome.Invalid invalid => Problems.BadParameter(invalid.Field, invalid.Detail),
        _ => throw new InvalidOperationException("Unknown publish outcome."),
    };
}
