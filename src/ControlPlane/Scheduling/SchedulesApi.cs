using ControlPlane.Datasets;
using ControlPlane.Identity;
using ControlPlane.Infrastructure;
using Microsoft.AspNetCore.Http.HttpResults;

namespace ControlPlane.Scheduling;

/// <summary>Optional body of a cancellation.</summary>
public sealed record CancelScheduleRequest(string? Reason);

public static class SchedulesApi
{
    public static RouteGroupBuilder MapSchedulesApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/v1/schedules").WithTags("Schedules");
        group.MapPost("/", Create).RequireAuthorization(Policies.Operator)
            .WithSummary("Schedule a release's activation (ISO time with offset, or local time and timeZone), optionally its revert, or a recurring window.");
        group.MapGet("/", List).RequireAuthorization(Policies.Viewer);
        group.MapGet("/{id:long}", Get).RequireAuthorization(Policies.Viewer).WithSummary("A schedule with its publications, risk and history.");
        group.MapDelete("/{id:long}", Cancel).RequireAuthorization(Policies.Operator).WithSummary("Cancel what is left of a schedule.");
        group.MapPost("/{id:long}/cancel", CancelWithReason).RequireAuthorization(Policies.Operator).WithSummary("Cancel what is left of a schedule, with a reason.");
        group.MapPut("/{id:long}", Replace).RequireAuthorization(Policies.Operator).WithSummary("Reschedule: the whole definition again.");
        group.MapPatch("/{id:long}", Patch).RequireAuthorization(Policies.Operator).WithSummary("Reschedule: only the fields given change.");
        return group;
    }

    private static async Task<Results<Created<ScheduleView>, ProblemHttpResult>> Create(
        ScheduleRequest request, HttpContext context, ScheduleCommands commands, CancellationToken cancellationToken) =>
        await commands.CreateAsync(request, DatasetsApi.Actor(context), cancellationToken) switch
        {
            ScheduleOutcome.Done done => TypedResults.Created($"/api/v1/schedules/{done.Schedule.Id}", done.Schedule),
            var other => Problem(other),
        };

    private static async Task<Results<Ok<IReadOnlyList<ScheduleView>>, ProblemHttpResult>> List(
        string? environment, string? state, long? before, int? limit, ScheduleViews views, CancellationToken cancellationToken)
    {
        if (limit is < 1 or > 200)
        {
            return Problems.BadParameter("limit", "limit must be between 1 and 200.");
        }

        if (state is not null && !ScheduleStates.Open.Concat([ScheduleStates.Completed, ScheduleStates.Cancelled, ScheduleStates.Missed,
                ScheduleStates.Failed, ScheduleStates.Overridden]).Contains(state))
        {
            return Problems.BadParameter("state", "state is one of Scheduled, Activating, Active, Reverting, Completed, Cancelled, Missed, Failed, Overridden.");
        }

        return TypedResults.Ok(await views.ListAsync(environment, state, before, limit ?? 50, cancellationToken));
    }

    private static async Task<Results<Ok<ScheduleView>, ProblemHttpResult>> Get(long id, ScheduleViews views, CancellationToken cancellationToken) =>
        await views.GetAsync(id, withEvents: true, cancellationToken) is { } view ? TypedResults.Ok(view) : Problems.NotFound($"There is no schedule {id}.");

    private static Task<Results<Ok<ScheduleView>, ProblemHttpResult>> Cancel(
        long id, HttpContext context, ScheduleCommands commands, CancellationToken cancellationToken) =>
        Done(commands.CancelAsync(id, DatasetsApi.Actor(context), null, cancellationToken));

    private static Task<Results<Ok<ScheduleView>, ProblemHttpResult>> CancelWithReason(
        long id, CancelScheduleRequest? request, HttpContext context, ScheduleCommands commands, CancellationToken cancellationToken) =>
        Done(commands.CancelAsync(id, DatasetsApi.Actor(context), request?.Reason, cancellationToken));

    private static Task<Results<Ok<ScheduleView>, ProblemHttpResult>> Replace(
        long id, ScheduleRequest request, HttpContext context, ScheduleCommands commands, CancellationToken cancellationToken) =>
        Done(commands.RescheduleAsync(id, request, merge: false, DatasetsApi.Actor(context), cancellationToken));

    private static Task<Results<Ok<ScheduleView>, ProblemHttpResult>> Patch(
        long id, ScheduleRequest request, HttpContext context, ScheduleCommands commands, CancellationToken cancellationToken) =>
        Done(commands.RescheduleAsync(id, request, merge: true, DatasetsApi.Actor(context), cancellationToken));

    private static async Task<Results<Ok<ScheduleView>, ProblemHttpResult>> Done(Task<ScheduleOutcome> outcome) =>
        await outcome switch
        {
            ScheduleOutcome.Done done => TypedResults.Ok(done.Schedule),
            var other => Problem(other),
        };

    private static ProblemHttpResult Problem(ScheduleOutcome outcome) => outcome switch
    {
        ScheduleOutcome.Invalid invalid => Problems.BadParameter(invalid.Field, invalid.Message),
        ScheduleOutcome.NotFound notFound => Problems.NotFound(notFound.Detail),
        ScheduleOutcome.Conflict { OtherScheduleId: { } other } conflict => Problems.Of(StatusCodes.Status409Conflict, "Conflict", conflict.Detail,
            new Dictionary<string, object?> { ["scheduleId"] = other }),
        ScheduleOutcome.Conflict conflict => Problems.Conflict(conflict.Detail),
        _ => throw new InvalidOperationException("Unknown schedule outcome."),
    };

    /// <summary>
    /// For the manual publish and rollback endpoints: a 409 while a schedule holds the environment and
    /// <paramref name="overrideSchedule"/> is not set; null to go ahead.
    /// </summary>
    public static async Task<ProblemHttpResult?> GuardManualAsync(
        ScheduleCommands commands, string environment, bool? overrideSchedule, string action, string actor, CancellationToken cancellationToken) =>
        await commands.GuardManualAsync(environment, overrideSchedule == true, action, actor, cancellationToken) is { } conflict
            ? Problem(conflict)
            : null;
}
