using System.Text.Json;
using ControlPlane.Datasets;
using ControlPlane.Infrastructure;
using ControlPlane.Releases;
using Microsoft.Extensions.Options;
using Npgsql;

namespace ControlPlane.Governance;

public sealed class ApprovalStore(NpgsqlDataSource dataSource, IOptions<GuardrailOptions> guardrails)
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public async Task<ApprovalState> StateAsync(ReleaseInfo release, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return await StateAsync(connection, release, cancellationToken);
    }

    public async Task<ApprovalState> StateAsync(NpgsqlConnection connection, ReleaseInfo release, CancellationToken cancellationToken)
    {
        var policy = await PolicyStore.GetAsync(connection, release.Environment, cancellationToken);
        var approvals = await ApprovalsAsync(connection, release.Id, cancellationToken);
        var warnings = await WarningsAsync(connection, release, cancellationToken);

        // Approvals by the creator count only where the policy allows them (it may have changed since).
        var given = approvals.Count(a => policy.CreatorMayApprove || !string.Equals(a.Approver, release.CreatedBy, StringComparison.Ordinal));
        var acknowledged = approvals.SelectMany(a => a.AcknowledgedWarnings).ToHashSet(StringComparer.Ordinal);

        // Every warning needs an approver's acknowledgement, even where the policy asks for no approvals: a version
        // that moved prices wildly is reviewed by a second person before it goes live (Guardrails:RequireAcknowledgement).
        var unacknowledged = guardrails.Value.RequireAcknowledgement ? warnings.Select(w => w.Id).Where(id => !acknowledged.Contains(id)).ToList() : [];
        return new ApprovalState(policy.RequiredApprovals, given, policy.CreatorMayApprove, approvals, warnings, unacknowledged);
    }

    internal static async Task<bool> InsertAsync(
        NpgsqlConnection connection, long releaseId, ApprovalInfo approval, CancellationToken cancellationToken) =>
        await connection.ExecuteAsync(
            """
            INSERT INTO approvals (release_id, approver, role, approved_at, comment, acknowledged_warnings)
            VALUES (@release, @approver, @role, @at, @comment, @acks::jsonb) ON CONFLICT (release_id, approver) DO NOTHING
            """, cancellationToken, ("release", releaseId), ("approver", approval.Approver), ("role", approval.Role), ("at", approval.ApprovedAt),
            ("comment", approval.Comment), ("acks", JsonSerializer.Serialize(approval.AcknowledgedWarnings, Json))) > 0;

    private static async Task<List<ApprovalInfo>> ApprovalsAsync(NpgsqlConnection connection, long releaseId, CancellationToken cancellationToken)
    {
        await using var command = connection.Command(
            "SELECT approver, role, approved_at, comment, acknowledged_warnings::text FROM approvals WHERE release_id = @id ORDER BY id", ("id", releaseId));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var approvals = new List<ApprovalInfo>();
        while (await reader.ReadAsync(cancellationToken))
        {
            approvals.Add(new ApprovalInfo(reader.GetString(0), reader.GetString(1), reader.GetFieldValue<DateTimeOffset>(2), reader.GetNullableString(3),
                JsonSerializer.Deserialize<List<string>>(reader.GetString(4), Json) ?? []));
        }

        return approvals;
    }

    /// <summary>The guardrail warnings of every version the release names, with ids "dataset:version:code".</summary>
    internal static async Task<List<ReleaseWarning>> WarningsAsync(NpgsqlConnection connection, ReleaseInfo release, CancellationToken cancellationToken)
    {
        var warnings = new List<ReleaseWarning>();
        foreach (var (name, version) in release.Versions.OrderBy(v => v.Key, StringComparer.Ordinal))
        {
            if (DatasetDefinition.Find(name) is not { } dataset)
            {
                continue;
            }

            var json = await connection.ScalarAsync<string>(
                "SELECT warnings::text FROM dataset_versions WHERE dataset_id = @dataset AND version = @version", cancellationToken,
                ("dataset", dataset.Id), ("version", version));
            foreach (var warning in JsonSerializer.Deserialize<List<GuardrailWarning>>(json ?? "[]", Json) ?? [])
            {
                warnings.Add(new ReleaseWarning($"{name}:{version}:{warning.Code}", name, version, warning.Code, warning.Message));
            }
        }

        return warnings;
    }
}
