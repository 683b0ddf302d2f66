using ControlPlane.Infrastructure;
using Npgsql;

namespace ControlPlane.Governance;

internal static class PolicyStore
{
    public static async Task<EnvironmentPolicy> GetAsync(NpgsqlConnection connection, string environment, CancellationToken cancellationToken)
    {
        await using var command = connection.Command(
            "SELECT required_approvals, creator_may_approve, emergency_role, updated_at, updated_by FROM environment_policies WHERE environment = @env",
            ("env", environment));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken)
            ? new EnvironmentPolicy(reader.GetInt32(0), reader.GetBoolean(1), reader.GetNullableString(2), reader.GetFieldValue<DateTimeOffset>(3), reader.GetString(4))
            : EnvironmentPolicy.Default;
    }

    public static async Task PutAsync(
        NpgsqlConnection connection, string environment, EnvironmentPolicy policy, DateTimeOffset now, string actor, CancellationToken cancellationToken) =>
        await connection.ExecuteAsync(
            """
            INSERT INTO environment_policies (environment, required_approvals, creator_may_approve, emergency_role, updated_at, updated_by)
            VALUES (@env, @required, @creator, @emergency, @now, @actor)
            ON CONFLICT (environment) DO UPDATE SET required_approvals = @required, creator_may_approve = @creator,
                emergency_role = @emergency, updated_at = @now, updated_by = @actor
            """, cancellationToken, ("env", environment), ("required", policy.RequiredApprovals), ("creator", policy.CreatorMayApprove),
            ("emergency", policy.EmergencyRole), ("now", now), ("actor", actor));
}
