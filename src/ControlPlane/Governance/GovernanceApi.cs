using ControlPlane.Audit;
using ControlPlane.Identity;
using ControlPlane.Infrastructure;
using ControlPlane.Releases;
using Microsoft.AspNetCore.Http.HttpResults;
using Npgsql;

namespace ControlPlane.Governance;

/// <summary>Approval policies, pins and approvals.</summary>
public static class GovernanceApi
{
    public static IEndpointRouteBuilder MapGovernanceApi(this IEndpointRouteBuilder app)
    {
        var environments = app.MapGroup("/api/v1/environments/{name}").WithTags("Governance");
        environments.MapGet("/policy", GetPolicy).RequireAuthorization(Policies.Viewer);
        environments.MapPut("/policy", PutPolicy).RequireAuthorization(Policies.Admin)
            .WithSummary("Set how many approvals a release needs, whether its creator may approve, and who may publish in an emergency.");
        environments.MapGet("/pins", ListPins).RequireAuthorization(Policies.Viewer);
        environments.MapPost("/pin", Pin).RequireAuthorization(Policies.Admin)
            .WithSummary("Freeze what is live in the environment (or one group): publishes and rollbacks answer 409 until the pin is removed.");
        environments.MapDelete("/pin/{id:long}", Unpin).RequireAuthorization(Policies.Admin);

        var releases = app.MapGroup("/api/v1/releases/{id:long}/approvals").WithTags("Governance");
        releases.MapGet("/", GetApprovals).RequireAuthorization(Policies.Viewer);
        releases.MapPost("/", Approve).RequireAuthorization(Policies.Approver)
            .WithSummary("Approve a release, acknowledging its guardrail warnings (ids from GET .../approvals).");
        return app;
    }

    private static async Task<Results<Ok<EnvironmentPolicy>, ProblemHttpResult>> GetPolicy(string name, NpgsqlDataSource dataSource, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        if (!await LockEnvironmentAsync(connection, name, false, cancellationToken))
        {
            return NoEnvironment(name);
        }

        return TypedResults.Ok(await PolicyStore.GetAsync(connection, name, cancellationToken));
    }

    private static async Task<Results<Ok<EnvironmentPolicy>, ProblemHttpResult>> PutPolicy(
        string name, PutPolicyRequest request, HttpContext context, NpgsqlDataSource dataSource, AuditLog audit, TimeProvider time,
        CancellationToken cancellationToken)
    {
        if (request.RequiredApprovals is not (>= 0 and <= 10))
        {
            return Problems.BadParameter("requiredApprovals", "requiredApprovals is required, between 0 and 10.");
        }

        if (request.EmergencyRole is not (null or Roles.Operator or Roles.Approver or Roles.Admin))
        {
            return Problems.BadParameter("emergencyRole", "emergencyRole is operator, approver, admin, or null for no emergency publish.");
        }

        if (FreeText.Problem("reason", request.Reason, required: false) is { } bad)
        {
            return bad;
        }

        var actor = Actor.Of(context);
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        if (!await LockEnvironmentAsync(connection, name, true, cancellationToken))
        {
            return NoEnvironment(name);
        }

        var before = await PolicyStore.GetAsync(connection, name, cancellationToken);
        var now = time.GetUtcNow();
        var after = new EnvironmentPolicy(request.RequiredApprovals.Value, request.CreatorMayApprove ?? false, request.EmergencyRole, now, actor);
        await PolicyStore.PutAsync(connection, name, after, now, actor, cancellationToken);
        await audit.AppendAsync(connection, transaction, new AuditEntry(actor, AuditKinds.Policy, name, $"environment:{name}", request.Reason, before, after), cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return TypedResults.Ok(after);
    }

    private static async Task<Results<Ok<IReadOnlyList<PinInfo>>, ProblemHttpResult>> ListPins(string name, NpgsqlDataSource dataSource, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return await LockEnvironmentAsync(connection, name, false, cancellationToken)
            ? TypedResults.Ok(await PinStore.ActiveAsync(connection, name, cancellationToken))
            : NoEnvironment(name);
    }

    private static async Task<Results<Created<PinInfo>, ProblemHttpResult>> Pin(
        string name, CreatePinRequest request, HttpContext context, NpgsqlDataSource dataSource, AuditLog audit, TimeProvider time,
        CancellationToken cancellationToken)
    {
        if (FreeText.Problem("reason", request.Reason, required: true) is { } bad)
        {
            return bad;
        }

        if (request.Group is not null && !Names.IsEnvironmentOrGroup(request.Group))
        {
            return Problems.BadParameter("group", "group is lower-case letters, digits, '-' and '_'.");
        }

        var actor = Actor.Of(context);
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);

        // The environment row lock orders pins with publishes, which check for pins under the same lock.
        if (!await LockEnvironmentAsync(connection, name, true, cancellationToken))
        {
            return NoEnvironment(name);
        }

        if (request.Group is not null && !await connection.ScalarAsync<bool>(
                "SELECT EXISTS (SELECT 1 FROM agent_groups WHERE environment = @env AND name = @group)", cancellationToken, ("env", name), ("group", request.Group)))
        {
            return Problems.BadParameter("group", $"Environment '{name}' has no agent group '{request.Group}'.");
        }

        var existing = (await PinStore.ActiveAsync(connection, name, cancellationToken)).FirstOrDefault(p => p.Group == request.Group);
        if (existing is not null)
        {
            return Problems.Of(StatusCodes.Status409Conflict, "Conflict", $"Already pinned: {PinStore.Describe(existing)}.",
                new Dictionary<string, object?> { ["pin"] = existing });
        }

        var now = time.GetUtcNow();
        var id = await connection.ScalarAsync<long>(
            "INSERT INTO pins (environment, agent_group, reason, created_at, created_by) VALUES (@env, @group, @reason, @now, @actor) RETURNING id",
            cancellationToken, ("env", name), ("group", request.Group), ("reason", request.Reason!.Trim()), ("now", now), ("actor", actor));
        var pin = new PinInfo(id, name, request.Group, request.Reason.Trim(), now, actor);
        await audit.AppendAsync(connection, transaction, new AuditEntry(actor, AuditKinds.Pin, name, $"pin:{id}", pin.Reason, null, pin), cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return TypedResults.Created($"/api/v1/environments/{name}/pin/{id}", pin);
    }

    private static async Task<Results<Ok<PinInfo>, ProblemHttpResult>> Unpin(
        string name, long id, string? reason, HttpContext context, NpgsqlDataSource dataSource, AuditLog audit, TimeProvider time,
        CancellationToken cancellationToken)
    {
        if (FreeText.Problem("reason", reason, required: false) is { } bad)
        {
            return bad;
        }

        var actor = Actor.Of(context);
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        if (!await LockEnvironmentAsync(connection, name, true, cancellationToken))
        {
            return NoEnvironment(name);
        }

        if (await PinStore.GetAsync(connection, id, cancellationToken) is not { } pin || pin.Environment != name)
        {
            return Problems.NotFound($"Environment '{name}' has no active pin {id}.");
        }

        await connection.ExecuteAsync("UPDATE pins SET removed_at = @now, removed_by = @actor WHERE id = @id", cancellationToken,
            ("now", time.GetUtcNow()), ("actor", actor), ("id", id));
        await audit.AppendAsync(connection, transaction, new AuditEntry(actor, AuditKinds.Unpin, name, $"pin:{id}", reason, pin, null), cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return TypedResults.Ok(pin);
    }

    private static async Task<Results<Ok<ApprovalState>, ProblemHttpResult>> GetApprovals(
        long id, ReleaseStore releases, ApprovalStore approvals, CancellationToken cancellationToken) =>
        await releases.GetAsync(id, cancellationToken) is { } release
            ? TypedResults.Ok(await approvals.StateAsync(release, cancellationToken))
            : Problems.NotFound($"There is no release {id}.");

    private static async Task<Results<Created<ApprovalState>, ProblemHttpResult>> Approve(
        long id, ApproveRequest? request, HttpContext context, NpgsqlDataSource dataSource, ApprovalStore approvals, AuditLog audit, TimeProvider time,
        CancellationToken cancellationToken)
    {
        request ??= new ApproveRequest(null, null);
        if (FreeText.Problem("comment", request.Comment, required: false) is { } bad)
        {
            return bad;
        }

        var actor = Actor.Of(context);
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        if (await ReleaseStore.GetAsync(connection, id, cancellationToken) is not { } release)
        {
            return Problems.NotFound($"There is no release {id}.");
        }

        // Serializes with publishes of the environment, which read the approvals under the same lock.
        await LockEnvironmentAsync(connection, release.Environment, true, cancellationToken);
        var policy = await PolicyStore.GetAsync(connection, release.Environment, cancellationToken);
        if (!policy.CreatorMayApprove && string.Equals(release.CreatedBy, actor, StringComparison.Ordinal))
        {
            return Problems.Of(StatusCodes.Status403Forbidden, "Forbidden",
                $"'{actor}' created release {id}; the policy of '{release.Environment}' needs someone else to approve it.");
        }

        var warnings = await ApprovalStore.WarningsAsync(connection, release, cancellationToken);
        var acknowledged = (request.AcknowledgeWarnings ?? []).Distinct(StringComparer.Ordinal).ToList();
        if (acknowledged.FirstOrDefault(a => warnings.All(w => w.Id != a)) is { } unknown)
        {
            return Problems.BadParameter("acknowledgeWarnings",
                $"Release {id} has no warning '{Truncate(unknown)}'; its warnings are: {(warnings.Count == 0 ? "none" : string.Join(", ", warnings.Select(w => w.Id)))}.");
        }

        var approval = new ApprovalInfo(actor, Actor.RoleOf(context) ?? "", time.GetUtcNow(), request.Comment, acknowledged);
        if (!await ApprovalStore.InsertAsync(connection, id, approval, cancellationToken))
        {
            return Problems.Conflict($"'{actor}' has approved release {id} already.");
        }

        await audit.AppendAsync(connection, transaction,
            new AuditEntry(actor, AuditKinds.Approve, release.Environment, $"release:{id}", request.Comment, null, approval), cancellationToken);
        var state = await approvals.StateAsync(connection, release, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return TypedResults.Created($"/api/v1/releases/{id}/approvals", state);
    }

    /// <summary>True when the environment exists; with <paramref name="forUpdate"/> its row is locked until the transaction ends.</summary>
    private static async Task<bool> LockEnvironmentAsync(NpgsqlConnection connection, string name, bool forUpdate, CancellationToken cancellationToken) =>
        await connection.ScalarAsync<bool>(
            $"SELECT true FROM environments WHERE name = @name{(forUpdate ? " FOR UPDATE" : "")}", cancellationToken, ("name", name));

    private static ProblemHttpResult NoEnvironment(string name) => Problems.NotFound($"There is no environment '{Truncate(name)}'.");

    private static string Truncate(string text) => text.Length <= 100 ? text : text[..100] + "...";
}
