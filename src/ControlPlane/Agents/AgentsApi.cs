using ControlPlane.Identity;
using ControlPlane.Infrastructure;
using ControlPlane.LiveChanges;
using ControlPlane.Releases;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;

namespace ControlPlane.Agents;

public static class AgentsApi
{
    public static RouteGroupBuilder MapAgentsApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/v1/agents").WithTags("Agents");
        // Only an agent token bound to the agent id of the route (or, for register, of the body).
        var agentOnly = group.MapGroup("").RequireAuthorization(Policies.Agent);
        agentOnly.MapPost("/register", Register);
        agentOnly.MapPost("/{id}/report", Report);
        agentOnly.MapGet("/{id}/desired", Desired)
            .WithSummary("Long poll: answers when the desired state differs from `known`, else after the wait.");
        agentOnly.MapLiveChangeFeed();
        group.MapGet("/", List).RequireAuthorization(Policies.Viewer);
        group.MapDelete("/{id}", Remove).RequireAuthorization(Policies.Admin);
        return group;
    }

    private static async Task<Results<Ok<AgentRegistered>, ProblemHttpResult>> Register(
        AgentRegistration registration, HttpContext context, AgentStore agents, CancellationToken cancellationToken)
    {

        if (string.IsNullOrWhiteSpace(registration.AgentId) || string.IsNullOrWhiteSpace(registration.Environment) || string.IsNullOrWhiteSpace(registration.Group))
        {
            return Problems.BadParameter("agentId", "agentId, environment and group are required.");
        }

        if (!Names.IsAgentId(registration.AgentId))
        {
            return Problems.BadParameter("agentId", "agentId is 1 to 128 letters, digits and . _ : - starting with a letter or digit.");
        }

        if (!string.Equals(registration.AgentId, context.User.AgentIdOf(), StringComparison.Ordinal))
        {
            return Problems.Of(StatusCodes.Status403Forbidden, "Forbidden",
                $"This agent token is bound to agent '{context.User.AgentIdOf()}'; it cannot register agentId '{registration.AgentId}'.");
        }

        return await agents.RegisterAsync(registration, cancellationToken) switch
        {
            RegistrationOutcome.Registered registered => TypedResults.Ok(registered.Agent),
            RegistrationOutcome.Rejected rejected => Problems.BadParameter(rejected.Field, rejected.Detail),
            _ => throw new InvalidOperationException("Unknown registration outcome."),
        };
    }

    private static async Task<Results<NoContent, ProblemHttpResult>> Report(
        string id, AgentReport report, AgentStore agents, PublicationCoordinator coordinator, HttpContext context, TimeProvider time,
        CancellationToken cancellationToken)
    {
        // The agent measures its clock offset NTP-style from this and its request's round trip (scheduled switches).
        context.Response.Headers[ClockHeaders.ServerTime] = time.GetUtcNow().ToString("O", System.Globalization.CultureInfo.InvariantCulture);
        if (await agents.EnvironmentOfAsync(id, cancellationToken) is not { } environment)
        {
            return Problems.NotFound($"Agent '{id}' is not registered; POST /api/v1/agents/register first.");
        }

        if (report.Held is null)
        {
            return Problems.BadParameter("held", "held is required (an empty list when the agent holds nothing).");
        }

        await coordinator.RecordReportAsync(id, environment, report, cancellationToken);
        return TypedResults.NoContent();
    }

    private static async Task<Results<Ok<DesiredState>, ProblemHttpResult>> Desired(
        string id, string? known, int? waitSeconds, AgentStore agents, DesiredStateBuilder builder, DesiredStateSignal signal,
        IOptions<AgentOptions> options, IHostApplicationLifetime lifetime, CancellationToken cancellationToken)
    {
        if (await agents.EnvironmentOfAsync(id, cancellationToken) is not { } environment)
        {
            return Problems.NotFound($"Agent '{id}' is not registered; POST /api/v1/agents/register first.");
        }

        var wait = TimeSpan.FromSeconds(Math.Clamp(waitSeconds ?? options.Value.LongPollSeconds, 0, options.Value.LongPollSeconds));

        // Take the wake-up before reading, so a change committed in between is not missed.
        var changed = signal.Next(environment);
        var state = await builder.BuildAsync(environment, id, cancellationToken);
        if (state.ETag != known || wait == TimeSpan.Zero)
        {
            return TypedResults.Ok(state);
        }

        // A stopping server answers at once: shutdown waits for requests in flight, so a held poll would keep the
        // instance from stopping (and refusing everyone) for the rest of its wait.
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, lifetime.ApplicationStopping);
        timeout.CancelAfter(wait);
        while (!timeout.IsCancellationRequested)
        {
            await Task.WhenAny(changed, Task.Delay(Timeout.Infinite, timeout.Token));
            if (!changed.IsCompleted)
            {
                break;
            }

            changed = signal.Next(environment);
            state = await builder.BuildAsync(environment, id, cancellationToken);
            if (state.ETag != known)
            {
                return TypedResults.Ok(state);
            }
        }

        cancellationToken.ThrowIfCancellationRequested();
        return TypedResults.Ok(state);
    }

    private static async Task<Ok<IReadOnlyList<AgentView>>> List(string? environment, AgentStore agents, CancellationToken cancellationToken) =>
        TypedResults.Ok(await agents.ListAsync(environment, cancellationToken));

    private static async Task<Results<NoContent, ProblemHttpResult>> Remove(
        string id, HttpContext context, AgentStore agents, Audit.AuditLog audit, CancellationToken cancellationToken)
    {
        if (!await agents.RemoveAsync(id, cancellationToken))
        {
            return Problems.NotFound($"Agent '{id}' is not registered.");
        }

        await audit.AppendAsync(new Audit.AuditEntry(Actor.Of(context), Audit.AuditKinds.AgentRemove, await agents.EnvironmentOfAsync(id, cancellationToken), $"agent:{id}"),
            cancellationToken);
        return TypedResults.NoContent();
    }
}
