using ControlPlane.Infrastructure;
using ControlPlane.LiveChanges;
using ControlPlane.Releases;
using Microsoft.Extensions.Options;
using Npgsql;

namespace ControlPlane.Agents;

/// <summary>An agent as the API shows it.</summary>
public sealed record AgentView(
    string Id, string Environment, string Group, string Status, DateTimeOffset RegisteredAt, DateTimeOffset LastSeenAt,
    long? LiveReleaseId, long LiveGeneration, IReadOnlyList<long> HeldReleases, StagingProgress? Staging, string? LastError,
    bool RedisDataLost, double? ClockOffsetMs)
{
    /// <summary>
    /// In an environment view: seconds since the environment's live release went live, while this agent serves
    /// another one; 0 when it serves the live release.
    /// </summary>
    public double? LagSeconds { get; init; }

    /// <summary>Per dataset with live changes: the last change this agent applied and how far behind it is (README, "Live changes").</summary>
    public IReadOnlyList<AgentChangeLag> Changes { get; init; } = [];
    /// <summary>True when the agent's clock is further off the control plane's than Agents:MaxClockSkewMs: scheduled switches are not armed.</summary>
    public bool ClockSkewed { get; init; }
}

public abstract record RegistrationOutcome
{
    public sealed record Registered(AgentRegistered Agent) : RegistrationOutcome;

    public sealed record Rejected(string Field, string Detail) : RegistrationOutcome;
}

public sealed class AgentStore(NpgsqlDataSource dataSource, IOptions<AgentOptions> options, TimeProvider time)
{
    public async Task<RegistrationOutcome> RegisterAsync(AgentRegistration registration, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var groupExists = await connection.ScalarAsync<bool>(
            "SELECT EXISTS (SELECT 1 FROM agent_groups WHERE environment = @env AND name = @group)", cancellationToken,
            ("env", registration.Environment), ("group", registration.Group));
        if (!groupExists)
        {
            return new RegistrationOutcome.Rejected("group",
                $"Environment '{registration.Environment}' has no agent group '{registration.Group}'; declare it under Environments:Declared or POST /api/v1/environments.");
        }

        var now = time.GetUtcNow();

        // No row comes back when the id belongs to an agent elsewhere: the refused registration changes nothing (it
        // must not make a silent agent look alive). An agent removed with DELETE (last seen at -infinity) may come
        // back anywhere, as the refusal advises.
        var accepted = await connection.ScalarAsync<bool>(
            """
            INSERT INTO agents (id, environment, agent_group, registered_at, last_seen_at) VALUES (@id, @env, @group, @now, @now)
            ON CONFLICT (id) DO UPDATE SET last_seen_at = @now, environment = @env, agent_group = @group
            WHERE agents.last_seen_at = '-infinity' OR (agents.environment = @env AND agents.agent_group = @group)
            RETURNING true
            """, cancellationToken, ("id", registration.AgentId), ("env", registration.Environment), ("group", registration.Group), ("now", now));
        if (!accepted)
        {
            return new RegistrationOutcome.Rejected("agentId",
                $"Agent '{registration.AgentId}' is registered in another environment or group; remove it first (DELETE /api/v1/agents/{registration.AgentId}).");
        }

        var agent = options.Value;
        return new RegistrationOutcome.Registered(
            new AgentRegistered(registration.AgentId, registration.Environment, registration.Group, agent.HeartbeatSeconds, agent.HotRetention));
    }

    /// <summary>The environment of an agent, or null when it is not registered.</summary>
    public async Task<string?> EnvironmentOfAsync(string agentId, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return await connection.ScalarAsync<string>("SELECT environment FROM agents WHERE id = @id", cancellationToken, ("id", agentId));
    }

    public async Task<IReadOnlyList<AgentView>> ListAsync(string? environment, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return await ListAsync(connection, environment, cancellationToken);
    }

    internal async Task<IReadOnlyList<AgentView>> ListAsync(NpgsqlConnection connection, string? environment, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var staleAfter = TimeSpan.FromSeconds(options.Value.StaleAfterSeconds);
        var agents = new List<AgentView>();
        await using (var command = connection.Command(
            """
            SELECT id, environment, agent_group, registered_at, last_seen_at, report::text, clock_offset_ms FROM agents
            WHERE @env::text IS NULL OR environment = @env ORDER BY environment, agent_group, id
            """, ("env", environment)))
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                var lastSeen = reader.GetFieldValue<DateTimeOffset>(4);
                var report = PublicationCoordinator.ParseReport(reader.GetString(5));
                var status = now - lastSeen > staleAfter ? "stale"
                    : report?.RedisDataLost == true ? "recovering"
                    : report?.LastError is not null ? "error"
                    : report?.Staging is not null ? "staging"
                    : "ok";
                agents.Add(new AgentView(
                    reader.GetString(0), reader.GetString(1), reader.GetString(2), status, reader.GetFieldValue<DateTimeOffset>(3), lastSeen,
                    report?.LiveReleaseId, report?.LiveGeneration ?? 0, report?.Held.Select(h => h.ReleaseId).ToList() ?? [],
                    report?.Staging, report?.LastError, report?.RedisDataLost ?? false, reader.GetNullable<double>(6))
                {
                    ClockSkewed = reader.GetNullable<double>(6) is { } offset && Math.Abs(offset) > options.Value.MaxClockSkewMs,
                });
            }
        }

        var lags = await ChangeLogQueries.LagsAsync(connection, [.. agents.Select(a => a.Id)], now, cancellationToken);
        return [.. agents.Select(a => lags.TryGetValue(a.Id, out var lag) ? a with { Changes = lag } : a)];
    }

    public async Task<bool> RemoveAsync(string agentId, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await connection.ExecuteAsync(
            """
            DELETE FROM publication_agents WHERE agent_id = @id
              AND publication_id IN (SELECT id FROM publications WHERE state IN ('Staging', 'Staged', 'Switching', 'Holding', 'Aborting', 'Partial'))
            """, cancellationToken, ("id", agentId));
        var removed = await connection.ExecuteAsync(
            "UPDATE agents SET last_seen_at = '-infinity' WHERE id = @id", cancellationToken, ("id", agentId)) > 0;
        await transaction.CommitAsync(cancellationToken);
        return removed;
    }
}
