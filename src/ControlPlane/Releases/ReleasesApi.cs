using ControlPlane.Datasets;
using ControlPlane.Audit;
using ControlPlane.Environments;
using ControlPlane.Governance;
using ControlPlane.Identity;
using ControlPlane.Infrastructure;
using ControlPlane.Scheduling;
using Microsoft.AspNetCore.Http.HttpResults;

namespace ControlPlane.Releases;

public static class ReleasesApi
{
    public static IEndpointRouteBuilder MapReleasesApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/v1/releases").WithTags("Releases");
        group.MapPost("/", Create).RequireAuthorization(Policies.Operator);
        group.MapGet("/", List).RequireAuthorization(Policies.Viewer);
        group.MapGet("/{id:long}", Get).RequireAuthorization(Policies.Viewer);
        group.MapPost("/{id:long}/publish", Publish)
            .RequireAuthorization(Policies.Operator)
            .WithSummary("Start making the release live: agents stage it, then all switch at once, or wave by wave (body: waves or canaryPercent, holdSeconds).");
        app.MapGet("/api/v1/publications/{id:long}", GetPublication).WithTags("Releases").RequireAuthorization(Policies.Viewer);
        return app;
    }

    private static async Task<Results<Created<ReleaseView>, ProblemHttpResult>> Create(
        CreateReleaseRequest request, HttpContext context, EnvironmentStore environments, VersionQueries versions, ReleaseStore releases,
        ApprovalStore approvals, AuditLog audit, TimeProvider time, CancellationToken cancellationToken)
    {
        if (request.Environment is null)
        {
            return Problems.BadParameter("environment", "environment is required.");
        }

        if (!Names.IsEnvironmentOrGroup(request.Environment))
        {
            return Problems.BadParameter("environment", "environment is an environment's name: lower-case letters, digits, '-' and '_', at most 63.");
        }

        if (FreeText.Problem("note", request.Note, required: false) is { } badNote)
        {
            return badNote;
        }

        if (!await environments.ExistsAsync(request.Environment, cancellationToken))
        {
            return Problems.NotFound($"There is no environment '{request.Environment}'.");
        }

        if (request.Versions is not { Count: > 0 })
        {
            return Problems.BadParameter("versions", "versions names at least one dataset and its version, e.g. {\"price\":12,\"stock\":40,\"product\":7}.");
        }

        var errors = new List<object>();
        foreach (var (name, version) in request.Versions)
        {
            if (DatasetDefinition.Find(name) is not { } dataset)
            {
                errors.Add(new { field = $"versions.{name}", message = $"there is no dataset '{name}'" });
            }
            else if (await versions.GetAsync(dataset, version, cancellationToken) is null)
            {
                errors.Add(new { field = $"versions.{name}", message = $"dataset '{name}' has no version {version}" });
            }
        }

        if (errors.Count > 0)
        {
            return Problems.Of(StatusCodes.Status400BadRequest, "Invalid release", "The release names versions that do not exist.",
                new Dictionary<string, object?> { ["errors"] = errors });
        }

        var release = await releases.CreateAsync(request.Environment, request.Versions, request.Note, DatasetsApi.Actor(context), time.GetUtcNow(), cancellationToken);
        await audit.AppendAsync(new AuditEntry(release.CreatedBy, AuditKinds.ReleaseCreate, release.Environment, $"release:{release.Id}", release.Note, null, release),
            cancellationToken);
        return TypedResults.Created($"/api/v1/releases/{release.Id}",
            await WithApprovalAsync(new ReleaseView(release, PublicationStates.Pending, null), approvals, cancellationToken));
    }

    private static async Task<Results<Ok<IReadOnlyList<ReleaseView>>, ProblemHttpResult>> List(
        string? environment, long? before, int? limit, ReleaseStore releases, ApprovalStore approvals, CancellationToken cancellationToken)
    {
        if (limit is < 1 or > 200)
        {
            return Problems.BadParameter("limit", "limit must be between 1 and 200.");
        }

        var views = new List<ReleaseView>();
        foreach (var view in await releases.ListAsync(environment, before, limit ?? 50, cancellationToken))
        {
            views.Add(await WithApprovalAsync(view, approvals, cancellationToken));
        }

        return TypedResults.Ok<IReadOnlyList<ReleaseView>>(views);
    }

    private static async Task<Results<Ok<ReleaseView>, ProblemHttpResult>> Get(long id, ReleaseStore releases, ApprovalStore approvals, CancellationToken cancellationToken) =>
        await releases.ViewAsync(id, cancellationToken) is { } view
            ? TypedResults.Ok(await WithApprovalAsync(view, approvals, cancellationToken))
            : Problems.NotFound($"There is no release {id}.");

    private static async Task<ReleaseView> WithApprovalAsync(ReleaseView view, ApprovalStore approvals, CancellationToken cancellationToken)
    {
        var state = await approvals.StateAsync(view.Release, cancellationToken);
        return view with { Approval = state, WaitingForApproval = !state.Satisfied && view.State != PublicationStates.Live && !PublicationStates.IsInFlight(view.State) };
    }

    private static async Task<Results<Ok<PublicationInfo>, ProblemHttpResult>> GetPublication(long id, ReleaseStore releases, CancellationToken cancellationToken) =>
        await releases.PublicationAsync(id, cancellationToken) is { } publication ? TypedResults.Ok(publication) : Problems.NotFound($"There is no publication {id}.");

    private static async Task<Results<Accepted<PublicationInfo>, ProblemHttpResult>> Publish(
        long id, PublishRequest? request, bool? overrideSchedule, HttpContext context, PublicationCoordinator coordinator, ReleaseStore releases,
        ScheduleCommands schedules, CancellationToken cancellationToken)
    {
        var emergency = request?.Emergency ?? false;
        if (FreeText.Problem("reason", request?.Reason, required: emergency) is { } bad)
        {
            return bad;
        }

        // A schedule holding the environment asks for confirmation (overrideSchedule) and records the override.
        if (await releases.GetAsync(id, cancellationToken) is { } release
            && await SchedulesApi.GuardManualAsync(schedules, release.Environment, overrideSchedule ?? request?.OverrideSchedule,
                $"publish of release {id}", DatasetsApi.Actor(context), cancellationToken) is { } held)
        {
            return held;
        }

        var authority = new PublishAuthority(DatasetsApi.Actor(context), Identity.Actor.RoleOf(context), emergency, request?.Reason);
        return ToResult(await coordinator.StartAsync(id, "publish", authority, cancellationToken, waves: request?.ToWaveRequest()));
    }

    /// <summary>The answer to a publish or rollback request.</summary>
    internal static Results<Accepted<PublicationInfo>, ProblemHttpResult> ToResult(PublishOutcome outcome) => outcome switch
    {
        PublishOutcome.Started started => TypedResults.Accepted($"/api/v1/publications/{started.Publication.Id}", started.Publication),
        PublishOutcome.NotFound notFound => Problems.NotFound(notFound.Detail),
        PublishOutcome.Conflict conflict => Problems.Conflict(conflict.Detail),
        PublishOutcome.Invalid invalid => Problems.BadParameter(invalid.Field, invalid.Detail),
        PublishOutcome.Refused refused => Problems.Of(refused.Status, refused.Title, refused.Detail, refused.Extensions),
        _ => throw new InvalidOperationException("Unknown publish outcome."),
    };
}
