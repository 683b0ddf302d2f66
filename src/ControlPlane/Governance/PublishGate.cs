using ControlPlane.Audit;
using ControlPlane.Identity;
using ControlPlane.Releases;
using Npgsql;

namespace ControlPlane.Governance;

/// <summary>
/// The governance checks of a publish or rollback, run by <see cref="PublicationCoordinator"/> inside its
/// transaction after it has locked the environment row (pins and policies lock that row too, so a pin cannot slip
/// in between the check and the start); and the audit entry of the start, in the same transaction.
/// </summary>
public sealed class PublishGate(AuditLog audit, ApprovalStore approvals)
{
    public async Task<PublishOutcome?> CheckAsync(
        NpgsqlConnection connection, ReleaseInfo release, string kind, PublishAuthority authority, CancellationToken cancellationToken)
    {
        var pins = await PinStore.ActiveAsync(connection, release.Environment, cancellationToken);
        if (pins.Count > 0)
        {
            return new PublishOutcome.Refused(StatusCodes.Status409Conflict, "Pinned",
                $"'{release.Environment}' is pinned, so nothing can go live there: {string.Join("; ", pins.Select(PinStore.Describe))}. "
                + $"An admin removes a pin with DELETE /api/v1/environments/{release.Environment}/pin/{{id}}.",
                new Dictionary<string, object?> { ["pins"] = pins });
        }

        if (kind != "publish")
        {
            // A rollback returns to a release that was live before; approvals gate new content, not the way back.
            return null;
        }

        var state = await approvals.StateAsync(connection, release, cancellationToken);
        if (authority.Emergency)
        {
            var policy = await PolicyStore.GetAsync(connection, release.Environment, cancellationToken);
            var allowed = policy.EmergencyRole is { } role && (authority.Role == role || authority.Role == Roles.Admin);
            return allowed
                ? null
                : new PublishOutcome.Refused(StatusCodes.Status403Forbidden, "Forbidden",
                    policy.EmergencyRole is null
                        ? $"The policy of '{release.Environment}' allows no emergency publish."
                        : $"The policy of '{release.Environment}' allows an emergency publish to role '{policy.EmergencyRole}' (or admin), not '{authority.Role}'.",
                    new Dictionary<string, object?> { ["emergencyRole"] = policy.EmergencyRole });
        }

        if (state.Satisfied)
        {
            return null;
        }

        var missing = new List<string>();
        if (state.Given < state.Required)
        {
            missing.Add($"{state.Required - state.Given} more approval(s) ({state.Given} of {state.Required} given)");
        }

        if (state.UnacknowledgedWarnings.Count > 0)
        {
            missing.Add($"an approver's acknowledgement of {string.Join(", ", state.UnacknowledgedWarnings)}");
        }

        return new PublishOutcome.Refused(StatusCodes.Status409Conflict, "Waiting for approval",
            $"Release {release.Id} needs {string.Join(" and ", missing)} before it can be published to '{release.Environment}' "
            + $"(POST /api/v1/releases/{release.Id}/approvals).",
            new Dictionary<string, object?>
            {
                ["approvalsRequired"] = state.Required,
                ["approvalsGiven"] = state.Given,
                ["unacknowledgedWarnings"] = state.UnacknowledgedWarnings,
            });
    }

    /// <summary>Audits the start of a publish or rollback in the coordinator's transaction.</summary>
    public async Task RecordAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, ReleaseInfo release, string kind, PublishAuthority authority, long? previousLive,
        long publicationId, CancellationToken cancellationToken) =>
        await audit.AppendAsync(connection, transaction, new AuditEntry(
            authority.Actor,
            kind == "rollback" ? AuditKinds.Rollback : authority.Emergency ? AuditKinds.EmergencyPublish : AuditKinds.Publish,
            release.Environment,
            $"release:{release.Id}",
            authority.Reason,
            new { liveRelease = previousLive },
            new
            {
                liveRelease = release.Id, publication = publicationId, versions = release.Versions,
                // What an emergency publish went past, so the log says which approvals and warnings were skipped.
                bypassed = kind != "rollback" && authority.Emergency ? await BypassedAsync(connection, release, cancellationToken) : null,
            }), cancellationToken);

    private async Task<object?> BypassedAsync(NpgsqlConnection connection, ReleaseInfo release, CancellationToken cancellationToken)
    {
        var state = await approvals.StateAsync(connection, release, cancellationToken);
        return new { approvalsRequired = state.Required, approvalsGiven = state.Given, unacknowledgedWarnings = state.UnacknowledgedWarnings };
    }
}
