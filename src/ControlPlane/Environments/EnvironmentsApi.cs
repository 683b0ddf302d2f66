using ControlPlane.Datasets;
using ControlPlane.Identity;
using ControlPlane.Infrastructure;
using ControlPlane.Releases;
using Microsoft.AspNetCore.Http.HttpResults;

namespace ControlPlane.Environments;

public sealed record RollbackRequest(long? ToRelease);

public static class EnvironmentsApi
{
    public static RouteGroupBuilder MapEnvironmentsApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/v1/environments").WithTags("Environments");
        group.MapGet("/", List).RequireAuthorization(Policies.Viewer);
        group.MapPost("/", Create).RequireAuthorization(Policies.Admin);
        group.MapGet("/{name}", Get).RequireAuthorization(Policies.Viewer);
        group.MapPost("/{name}/rollback", Rollback)
            .RequireAuthorization(Policies.Operator)
            .WithSummary("Make the previous live release (or toRelease) live again; a pointer flip when it is still hot on every agent.");
        return group;
    }

    private static async Task<Ok<IReadOnlyList<EnvironmentSummary>>> List(EnvironmentStore environments, CancellationToken cancellationToken) =>
        TypedResults.Ok(await environments.ListAsync(cancellationToken));

    private static async Task<Results<Created<EnvironmentView>, ProblemHttpResult>> Create(
        CreateEnvironmentRequest request, EnvironmentStore environments, CancellationToken cancellationToken)
    {
        if (request.Name is null || !Names.IsEnvironmentOrGroup(request.Name))
        {
            return Problems.BadParameter("name", "name is 1 to 63 lower-case letters, digits, '-' and '_', starting with a letter or digit.");
        }

        var groups = request.Groups ?? [];
        if (groups.FirstOrDefault(g => !Names.IsEnvironmentOrGroup(g)) is { } bad)
        {
            return Problems.BadParameter("groups", $"group '{bad}' is not a valid name (lower-case letters, digits, '-' and '_').");
        }

        await environments.EnsureAsync(request.Name, groups, cancellationToken);
        return TypedResults.Created($"/api/v1/environments/{request.Name}", (await environments.ViewAsync(request.Name, cancellationToken))!);
    }

    private static async Task<Results<Ok<EnvironmentView>, ProblemHttpResult>> Get(string name, EnvironmentStore environments, CancellationToken cancellationToken) =>
        await environments.ViewAsync(name, cancellationToken) is { } view ? TypedResults.Ok(view) : Problems.NotFound($"There is no environment '{name}'.");

    private static async Task<Results<Accepted<PublicationInfo>, ProblemHttpResult>> Rollback(
        string name, RollbackRequest? request, HttpContext context, EnvironmentStore environments, PublicationCoordinator coordinator,
        CancellationToken cancellationToken)
    {
        if (!await environments.ExistsAsync(name, cancellationToken))
        {
            return Problems.NotFound($"There is no environment '{name}'.");
        }

        return await coordinator.RollbackAsync(name, request?.ToRelease, DatasetsApi.Actor(context), cancellationToken) switch
        {
            PublishOutcome.Started started => TypedResults.Accepted($"/api/v1/publications/{started.Publication.Id}", started.Publication),
            PublishOutcome.NotFound notFound => Problems.NotFound(notFound.Detail),
            PublishOutcome.Conflict conflict => Problems.Conflict(conflict.Detail),
            _ => throw new InvalidOperationException("Unknown publish outcome."),
        };
    }
}
