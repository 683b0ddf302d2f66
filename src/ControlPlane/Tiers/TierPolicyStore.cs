using System.Text.Json;
using ControlPlane.Agents;
using ControlPlane.Audit;
using ControlPlane.Datasets;
using ControlPlane.Infrastructure;
using Microsoft.Extensions.Options;
using Npgsql;

namespace ControlPlane.Tiers;

/// <summary>Reads and writes the policies in <c>tier_policies</c>; environments without one get the configured defaults.</summary>
public sealed class TierPolicyStore(NpgsqlDataSource dataSource, AuditLog audit, IOptions<TierOptions> options, IOptions<AgentOptions> agentOptions)
{
    public const string AuditKind = "environment.tier-policy";

    internal static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public TierPolicy Default
    {
        get
        {
            var defaults = options.Value.Defaults;
            return new TierPolicy(defaults.HotReleases ?? agentOptions.Value.HotRetention, defaults.WarmDays, defaults.WarmVersions,
                defaults.ColdKeepDays, new Dictionary<string, DatasetTierPolicy>());
        }
    }

    public async Task<(TierPolicy Policy, DateTimeOffset At, string By)?> StoredAsync(NpgsqlConnection connection, string environment, CancellationToken cancellationToken)
    {
        await using var command = connection.Command(
            "SELECT policy::text, updated_at, updated_by FROM tier_policies WHERE environment = @env", ("env", environment));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        if (!await reader.ReadAsync(cancellationToken))
        {
            return null;
        }

        var policy = JsonSerializer.Deserialize<TierPolicy>(reader.GetString(0), Json)!;
        return (Normalize(policy), reader.GetFieldValue<DateTimeOffset>(1), reader.GetString(2));
    }

    /// <summary>Every environment's policy in force (its own or the default).</summary>
    public async Task<Dictionary<string, TierPolicy>> AllAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        var result = new Dictionary<string, TierPolicy>(StringComparer.Ordinal);
        await using var command = connection.Command(
            "SELECT e.name, p.policy::text FROM environments e LEFT JOIN tier_policies p ON p.environment = e.name ORDER BY e.name");
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            result[reader.GetString(0)] = reader.IsDBNull(1) ? Default : Normalize(JsonSerializer.Deserialize<TierPolicy>(reader.GetString(1), Json)!);
        }

        return result;
    }

    /// <summary>How many releases besides the live one the agents of the environment keep hot.</summary>
    public async Task<int> HotReleasesAsync(NpgsqlConnection connection, string environment, CancellationToken cancellationToken) =>
        await connection.ScalarAsync<int?>(
            "SELECT (policy->>'hotReleases')::int FROM tier_policies WHERE environment = @env", cancellationToken, ("env", environment))
        ?? Default.HotReleases;

    public async Task SaveAsync(string environment, TierPolicy policy, string actor, DateTimeOffset now, string effect, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var before = await StoredAsync(connection, environment, cancellationToken);
        await connection.ExecuteAsync(
            """
            INSERT INTO tier_policies (environment, policy, updated_at, updated_by) VALUES (@env, @policy::jsonb, @now, @actor)
            ON CONFLICT (environment) DO UPDATE SET policy = excluded.policy, updated_at = excluded.updated_at, updated_by = excluded.updated_by
            """, cancellationToken, ("env", environment), ("policy", JsonSerializer.Serialize(policy, Json)), ("now", now), ("actor", actor));

        await audit.AppendAsync(connection, transaction, new AuditEntry(actor, AuditKind, environment, $"environment:{environment}",
            effect, before?.Policy ?? Default, policy), cancellationToken);

        // The hot window is part of the agents' desired state: wake their long polls.
        await using (var notify = DesiredStateListener.Notify(connection, environment))
        {
            await notify.ExecuteNonQueryAsync(cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
    }

    /// <summary>The request merged over the defaults, or the field at fault.</summary>
    public (TierPolicy? Policy, string? Field, string? Problem) Validate(TierPolicyRequest request)
    {
        var defaults = Default;
        if (request.HotReleases is < 0 or > 100)
        {
            return (null, "hotReleases", "hotReleases must be between 0 and 100.");
        }

        if (request.WarmDays is < 0 or > 36_500)
        {
            return (null, "warmDays", "warmDays must be between 0 and 36500.");
        }

        if (request.WarmVersions is < 1 or > 1_000_000)
        {
            return (null, "warmVersions", "warmVersions must be between 1 and 1000000 (the latest version always stays warm).");
        }

        if (request.ColdKeepDays is < 1 or > 36_500)
        {
            return (null, "coldKeepDays", "coldKeepDays must be between 1 and 36500, or absent to keep archives for ever.");
        }

        var datasets = new Dictionary<string, DatasetTierPolicy>(StringComparer.Ordinal);
        foreach (var (name, dataset) in request.Datasets ?? new Dictionary<string, DatasetTierPolicy>())
        {
            if (DatasetDefinition.Find(name) is null)
            {
                return (null, $"datasets.{name}", $"there is no dataset '{name}'.");
            }

            if (dataset.WarmDays is < 0 or > 36_500)
            {
                return (null, $"datasets.{name}.warmDays", "warmDays must be between 0 and 36500.");
            }

            if (dataset.WarmVersions is < 1 or > 1_000_000)
            {
                return (null, $"datasets.{name}.warmVersions", "warmVersions must be between 1 and 1000000.");
            }

            if (dataset.ColdKeepDays is < 1 or > 36_500)
            {
                return (null, $"datasets.{name}.coldKeepDays", "coldKeepDays must be between 1 and 36500, or absent.");
            }

            datasets[name] = dataset;
        }

        return (new TierPolicy(
            request.HotReleases ?? defaults.HotReleases,
            request.WarmDays ?? defaults.WarmDays,
            request.WarmVersions ?? defaults.WarmVersions,
            request.ColdKeepDays ?? defaults.ColdKeepDays,
            datasets), null, null);
    }

    private static TierPolicy Normalize(TierPolicy policy) =>
        policy.Datasets is null ? policy with { Datasets = new Dictionary<string, DatasetTierPolicy>() } : policy;
}
