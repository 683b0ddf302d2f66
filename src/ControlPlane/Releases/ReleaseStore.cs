using System.Text.Json;
using ControlPlane.Infrastructure;
using Npgsql;

namespace ControlPlane.Releases;

/// <summary>Reads releases and publications; the writes of the state machine are in <see cref="PublicationCoordinator"/>.</summary>
public sealed class ReleaseStore(NpgsqlDataSource dataSource)
{
    internal const string PublicationColumns =
        "id, release_id, environment, kind, state, generation, previous_release_id, requested_at, requested_by, staged_at, live_at, ended_at, reason, "
        + "wave_count, current_wave, canary_percent, hold_seconds, hold_until";

    public async Task<ReleaseInfo> CreateAsync(string environment, IReadOnlyDictionary<string, int> versions, string? note, string actor,
        DateTimeOffset now, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var id = await connection.ScalarAsync<long>(
            "INSERT INTO releases (environment, versions, note, created_at, created_by) VALUES (@env, @versions::jsonb, @note, @now, @actor) RETURNING id",
            cancellationToken, ("env", environment), ("versions", JsonSerializer.Serialize(versions)), ("note", note), ("now", now), ("actor", actor));
        return new ReleaseInfo(id, environment, versions, note, now, actor);
    }

    public async Task<ReleaseInfo?> GetAsync(long id, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return await GetAsync(connection, id, cancellationToken);
    }

    internal static async Task<ReleaseInfo?> GetAsync(NpgsqlConnection connection, long id, CancellationToken cancellationToken)
    {
        await using var command = connection.Command(
            "SELECT id, environment, versions::text, note, created_at, created_by FROM releases WHERE id = @id", ("id", id));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? ReadRelease(reader) : null;
    }

    public async Task<IReadOnlyList<ReleaseView>> ListAsync(string? environment, long? before, int limit, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var releases = new List<ReleaseInfo>();
        await using (var command = connection.Command(
            """
            SELECT id, environment, versions::text, note, created_at, created_by FROM releases
            WHERE (@env::text IS NULL OR environment = @env) AND (@before::bigint IS NULL OR id < @before)
            ORDER BY id DESC LIMIT @limit
            """, ("env", environment), ("before", before), ("limit", limit)))
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                releases.Add(ReadRelease(reader));
            }
        }

        var views = new List<ReleaseView>();
        foreach (var release in releases)
        {
            var publication = await LatestPublicationAsync(connection, release.Id, withAgents: false, cancellationToken);
            views.Add(new ReleaseView(release, publication?.State ?? PublicationStates.Pending, publication));
        }

        return views;
    }

    public async Task<ReleaseView?> ViewAsync(long id, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var release = await GetAsync(connection, id, cancellationToken);
        if (release is null)
        {
            return null;
        }

        var publication = await LatestPublicationAsync(connection, id, withAgents: true, cancellationToken);
        return new ReleaseView(release, publication?.State ?? PublicationStates.Pending, publication);
    }

    public async Task<PublicationInfo?> PublicationAsync(long id, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var command = connection.Command($"SELECT {PublicationColumns} FROM publications WHERE id = @id", ("id", id));
        return await ReadPublicationAsync(connection, command, withAgents: true, cancellationToken);
    }

    internal static async Task<PublicationInfo?> LatestPublicationAsync(NpgsqlConnection connection, long releaseId, bool withAgents, CancellationToken cancellationToken)
    {
        await using var command = connection.Command(
            $"SELECT {PublicationColumns} FROM publications WHERE release_id = @id ORDER BY id DESC LIMIT 1", ("id", releaseId));
        return await ReadPublicationAsync(connection, command, withAgents, cancellationToken);
    }

    internal static async Task<PublicationInfo?> ReadPublicationAsync(NpgsqlConnection connection, NpgsqlCommand command, bool withAgents, CancellationToken cancellationToken)
    {
        PublicationInfo publication;
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            if (!await reader.ReadAsync(cancellationToken))
            {
                return null;
            }

            publication = ReadPublication(reader);
        }

        if (publication.Waves is not null)
        {
            publication = publication with { Waves = await Waves.WaveStore.WavesAsync(connection, publication.Id, cancellationToken) };
        }

        return withAgents ? publication with { Agents = await PublicationAgentsAsync(connection, publication.Id, cancellationToken) } : publication;
    }

    internal static PublicationInfo ReadPublication(NpgsqlDataReader reader)
    {
        var requestedAt = reader.GetFieldValue<DateTimeOffset>(7);
        var stagedAt = reader.GetNullable<DateTimeOffset>(9);
        var liveAt = reader.GetNullable<DateTimeOffset>(10);
        var endedAt = reader.GetNullable<DateTimeOffset>(11);
        var timings = new PhaseTimings(
            stagedAt is { } staged ? (staged - requestedAt).TotalSeconds : null,
            stagedAt is { } s && liveAt is { } l ? (l - s).TotalSeconds : null,
            endedAt is { } ended ? (ended - requestedAt).TotalSeconds : null);
        return new PublicationInfo(
            reader.GetInt64(0), reader.GetInt64(1), reader.GetString(2), reader.GetString(3), reader.GetString(4),
            reader.GetNullable<long>(5), reader.GetNullable<long>(6), requestedAt, reader.GetString(8), stagedAt, liveAt, endedAt,
            reader.GetNullableString(12), timings, [])
        {
            CurrentWave = reader.GetNullable<int>(14),
            CanaryPercent = reader.GetNullable<int>(15),
            HoldSeconds = reader.GetNullable<int>(16),
            HoldUntil = reader.GetNullable<DateTimeOffset>(17),
            Waves = reader.IsDBNull(13) ? null : [],
        };
    }

    internal static async Task<IReadOnlyList<PublicationAgent>> PublicationAgentsAsync(NpgsqlConnection connection, long publicationId, CancellationToken cancellationToken)
    {
        var agents = new List<PublicationAgent>();
        await using var command = connection.Command(
            """
            SELECT pa.agent_id, a.agent_group, pa.phase, pa.records_staged, pa.records_total, pa.bytes, pa.staged_at, pa.switched_at, pa.error
            FROM publication_agents pa JOIN agents a ON a.id = pa.agent_id
            WHERE pa.publication_id = @id ORDER BY a.agent_group, pa.agent_id
            """, ("id", publicationId));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            agents.Add(new PublicationAgent(reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.GetInt64(3), reader.GetInt64(4),
                reader.GetInt64(5), reader.GetNullable<DateTimeOffset>(6), reader.GetNullable<DateTimeOffset>(7), reader.GetNullableString(8)));
        }

        return agents;
    }

    internal static ReleaseInfo ReadRelease(NpgsqlDataReader reader) => new(
        reader.GetInt64(0),
        reader.GetString(1),
        JsonSerializer.Deserialize<Dictionary<string, int>>(reader.GetString(2)) ?? [],
        reader.GetNullableString(3),
        reader.GetFieldValue<DateTimeOffset>(4),
        reader.GetString(5));
}
