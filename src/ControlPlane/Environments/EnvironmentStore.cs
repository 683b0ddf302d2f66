using ControlPlane.Agents;
using ControlPlane.Infrastructure;
using ControlPlane.Releases;
using Npgsql;

namespace ControlPlane.Environments;

/// <summary>An environment at a glance: what is live, what else is hot, what is in flight, every agent.</summary>
public sealed record EnvironmentView(
    string Name,
    long Generation,
    ReleaseInfo? LiveRelease,
    DateTimeOffset? LiveSince,
    IReadOnlyList<long> HotReleases,
    PublicationInfo? InFlight,
    PublicationInfo? Partial,
    IReadOnlyList<GroupView> Groups)
{
    /// <summary>Active pins: while any is there, nothing new goes live (Governance).</summary>
    public IReadOnlyList<Governance.PinInfo> Pins { get; init; } = [];
}

public sealed record GroupView(string Name, IReadOnlyList<AgentView> Agents)
{
    /// <summary>
    /// The releases the group's agents serve (from their reports), most common first: one release normally; during a
    /// publication in waves the groups already switched show the new one.
    /// </summary>
    public IReadOnlyList<long> LiveReleases { get; init; } = [];
}

public sealed record EnvironmentSummary(string Name, IReadOnlyList<string> Groups, long? LiveReleaseId, long Generation)
{
    public IReadOnlyList<Governance.PinInfo> Pins { get; init; } = [];
}

public sealed record CreateEnvironmentRequest(string? Name, string[]? Groups);

public sealed class EnvironmentStore(NpgsqlDataSource dataSource, AgentStore agents, TimeProvider time)
{
    /// <summary>Creates the environment and adds missing groups; existing ones are left as they are.</summary>
    public async Task EnsureAsync(string name, IEnumerable<string> groups, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await connection.ExecuteAsync(
            "INSERT INTO environments (name, created_at) VALUES (@name, @now) ON CONFLICT (name) DO NOTHING",
            cancellationToken, ("name", name), ("now", time.GetUtcNow()));
        foreach (var group in groups)
        {
            await connection.ExecuteAsync(
                "INSERT INTO agent_groups (environment, name) VALUES (@env, @name) ON CONFLICT DO NOTHING",
                cancellationToken, ("env", name), ("name", group));
        }

        await transaction.CommitAsync(cancellationToken);
    }

    public async Task<bool> ExistsAsync(string name, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return await connection.ScalarAsync<bool>("SELECT EXISTS (SELECT 1 FROM environments WHERE name = @name)", cancellationToken, ("name", name));
    }

    public async Task<IReadOnlyList<EnvironmentSummary>> ListAsync(CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var list = new List<EnvironmentSummary>();
        await using var command = connection.Command(
            """
            SELECT e.name, coalesce(array_agg(g.name ORDER BY g.name) FILTER (WHERE g.name IS NOT NULL), '{}'), e.live_release_id, e.generation
            FROM environments e LEFT JOIN agent_groups g ON g.environment = e.name
            GROUP BY e.name ORDER BY e.name
            """);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            list.Add(new EnvironmentSummary(reader.GetString(0), reader.GetFieldValue<string[]>(1), reader.GetNullable<long>(2), reader.GetInt64(3)));
        }

        return list;
    }

    public async Task<EnvironmentView?> ViewAsync(string name, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        long generation;
        long? liveReleaseId;
        await using (var command = connection.Command("SELECT generation, live_release_id FROM environments WHERE name = @name", ("name", name)))
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            if (!await reader.ReadAsync(cancellationToken))
            {
                return null;
            }

            (generation, liveReleaseId) = (reader.GetInt64(0), reader.GetNullable<long>(1));
        }

        var live = liveReleaseId is { } id ? await ReleaseStore.GetAsync(connection, id, cancellationToken) : null;
        var liveSince = await connection.ScalarAsync<DateTimeOffset?>(
            "SELECT live_at FROM publications WHERE environment = @env AND state = 'Live' ORDER BY id DESC LIMIT 1", cancellationToken, ("env", name));
        var inFlight = await PublicationWhereAsync(connection, name, "state IN ('Staging', 'Staged', 'Switching', 'Holding', 'Aborting')", cancellationToken);
        var partial = await PublicationWhereAsync(connection, name, "state = 'Partial'", cancellationToken);
        var now = time.GetUtcNow();
        var agentViews = (await agents.ListAsync(connection, name, cancellationToken))
            .Select(a => a with
            {
                LagSeconds = a.LiveReleaseId == liveReleaseId ? 0 : liveSince is { } since ? Math.Max(0, (now - since).TotalSeconds) : null,
            })
            .ToList();
        var groups = new List<GroupView>();
        await using (var command = connection.Command("SELECT name FROM agent_groups WHERE environment = @env ORDER BY name", ("env", name)))
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                var group = reader.GetString(0);
                var members = agentViews.Where(a => a.Group == group).ToList();
                groups.Add(new GroupView(group, members)
                {
                    LiveReleases = [.. members.Where(a => a.LiveReleaseId is not null && a.Status != "stale")
                        .GroupBy(a => a.LiveReleaseId!.Value).OrderByDescending(g => g.Count()).ThenByDescending(g => g.Key).Select(g => g.Key)],
                });
            }
        }

        // Hot: held by every agent that is not stale, so rolling back to it needs no staging.
        var active = agentViews.Where(a => a.Status != "stale").ToList();
        var hot = active.Count == 0
            ? []
            : active.Select(a => a.HeldReleases).Aggregate((a, b) => [.. a.Intersect(b)]).Where(r => r != liveReleaseId).OrderDescending().ToList();
        return new EnvironmentView(name, generation, live, liveSince, hot, inFlight, partial, groups);
    }

    private static async Task<PublicationInfo?> PublicationWhereAsync(NpgsqlConnection connection, string environment, string condition, CancellationToken cancellationToken)
    {
        await using var command = connection.Command(
            $"SELECT {ReleaseStore.PublicationColumns} FROM publications WHERE environment = @env AND {condition} ORDER BY id DESC LIMIT 1", ("env", environment));
        return await ReleaseStore.ReadPublicationAsync(connection, command, withAgents: true, cancellationToken);
    }
}
