using ControlPlane.Audit;
using ControlPlane.Datasets;
using ControlPlane.Governance;
using ControlPlane.Identity;
using ControlPlane.Infrastructure;
using ControlPlane.Releases;
using ControlPlane.Scheduling;
using Microsoft.AspNetCore.Http.HttpResults;

namespace ControlPlane.Environments;

/// <summary>
/// Body of POST .../rollback; <see cref="Reason"/> goes to the audit log. <see cref="OverrideSchedule"/> confirms a rollback
/// while a schedule holds the environment (also accepted as a query parameter).
/// </summary>
public sealed record RollbackRequest(long? ToRelease, string? Reason = null, bool? OverrideSchedule = null);

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

    private static async Task<Ok<IReadOnlyList<EnvironmentSummary>>> List(EnvironmentStore environments, PinStore pins, CancellationToken cancellationToken)
    {
        var active = await pins.AllActiveAsync(cancellationToken);
        return TypedResults.Ok<IReadOnlyList<EnvironmentSummary>>(
            [.. (await environments.ListAsync(cancellationToken)).Select(e => e with { Pins = [.. active[e.Name]] })]);
    }

    private static async Task<Results<Created<EnvironmentView>, ProblemHttpResult>> Create(
        CreateEnvironmentRequest request, HttpContext context, EnvironmentStore environments, AuditLog audit, CancellationToken cancellationToken)
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

        var existed = await environments.ViewAsync(request.Name, cancellationToken);
        await environments.EnsureAsync(request.Name, groups, cancellationToken);
        await audit.AppendAsync(new AuditEntry(Identity.Actor.Of(context), AuditKinds.EnvironmentCreate, request.Name, $"environment:{request.Name}",
            Before: existed?.Groups.Select(g => g.Name), After: groups), cancellationToken);
        return TypedResults.Created($"/api/v1/environments/{request.Name}", (await environments.ViewAsync(request.Name, cancellationToken))!);
    }

    private static async Task<Results<Ok<EnvironmentView>, ProblemHttpResult>> Get(
        string name, EnvironmentStore environments, PinStore pins, CancellationToken cancellationToken) =>
        await environments.ViewAsync(name, cancellationToken) is { } view
            ? TypedResults.Ok(view with { Pins = await pins.ActiveAsync(name, cancellationToken) })
            : Problems.NotFound($"There is no environment '{name}'.");

    private static async Task<Results<Accepted<PublicationInfo>, ProblemHttpResult>> Rollback(
        string name, RollbackRequest? request, bool? overrideSchedule, HttpContext context, EnvironmentStore environments, PublicationCoordinator coordinator,
        ScheduleCommands schedules, CancellationToken cancellationToken)
    {
        if (!await environments.ExistsAsync(name, cancellationToken))
        {
            return Problems.NotFound($"There is no environment '{name}'.");
        }

        if (FreeText.Problem("reason", request?.Reason, required: false) is { } bad)
        {
            return bad;
        }

        // A schedule holding the environment asks for confirmation and records the override.
        if (await SchedulesApi.GuardManualAsync(schedules, name, overrideSchedule ?? request?.OverrideSchedule, "rollback", DatasetsApi.Actor(context),
                cancellationToken) is { } held)
        {
            return held;
        }

        var authority = new PublishAuthority(DatasetsApi.Actor(context), Identity.Actor.RoleOf(context), Reason: request?.Reason);
        return ReleasesApi.ToResult(await coordinator.RollbackAsync(name, request?.ToRelease, authority, cancellationToken));
    }
}
