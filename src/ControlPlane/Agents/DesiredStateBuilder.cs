using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using ControlPlane.Datasets;
using ControlPlane.Infrastructure;
using ControlPlane.Releases;
using ControlPlane.Tiers;
using ControlPlane.Waves;
using Npgsql;

namespace ControlPlane.Agents;

/// <summary>
/// Computes what the agents of an environment should hold and what should be live: the release in flight,
/// the live release, and the releases live before it up to the hot retention, newest first.
/// </summary>
public sealed class DesiredStateBuilder(NpgsqlDataSource dataSource, TierPolicyStore policies)
{
    public Task<DesiredState> BuildAsync(string environment, CancellationToken cancellationToken) =>
        BuildAsync(environment, agentId: null, cancellationToken);

    /// <summary>
    /// The desired state of one agent: during a publication in waves agents differ (their wave may have switched, or
    /// not started yet).
    /// </summary>
    public async Task<DesiredState> BuildAsync(string environment, string? agentId, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);

        // The environment's hot tier policy (Tiers/), or Agents:HotRetention when it has none.
        var retention = await policies.HotReleasesAsync(connection, environment, cancellationToken);
        var (hold, live) = await HoldAsync(connection, environment, retention, cancellationToken, agentId);
        var manifests = new List<ReleaseManifest>();
        foreach (var releaseId in hold)
        {
            manifests.Add(await ManifestAsync(connection, releaseId, cancellationToken));
        }

        var etag = ETagOf(manifests.Select(m => m.ReleaseId), live, retention);
        return new DesiredState(etag, environment, manifests, live, retention);
    }

    /// <summary>
    /// The releases the agents of the environment hold, newest decision first: the one in flight, the live one, and
    /// up to <paramref name="retention"/> releases that were live before. The tiers' protection reads it too.
    /// </summary>
    internal static async Task<(List<long> Hold, SwitchOrder? Live)> HoldAsync(
        NpgsqlConnection connection, string environment, int retention, CancellationToken cancellationToken, string? agentId = null)
    {
        (long Release, string State, long? Generation)? inFlight = null;
        long? wavedInFlight = null;
        DateTimeOffset? switchAt = null;
        var history = new List<(long Release, string State, long? Generation)>();
        await using (var command = connection.Command(
            """
            SELECT release_id, state, generation, switch_at, wave_count IS NOT NULL FROM publications
            WHERE environment = @env AND state IN ('Staging', 'Staged', 'Switching', 'Live', 'Partial', 'Superseded')
            ORDER BY id DESC LIMIT @limit
            """, ("env", environment), ("limit", 20 + retention * 4)))
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                var row = (reader.GetInt64(0), reader.GetString(1), reader.GetNullable<long>(2));
                if (PublicationStates.IsInFlight(row.Item2) && reader.GetBoolean(4))
                {
                    // In flight in waves: what it asks of an agent depends on the agent's wave (below).
                    wavedInFlight ??= row.Item1;
                }
                else if (PublicationStates.IsInFlight(row.Item2))
                {
                    if (inFlight is null)
                    {
                        inFlight = row;
                        switchAt = reader.GetNullable<DateTimeOffset>(3);
                    }
                }
                else
                {
                    history.Add(row);
                }
            }
        }

        SwitchOrder? live = null;
        if (inFlight is { State: PublicationStates.Switching, Generation: { } switching })
        {
            // An armed scheduled activation carries its instant; agents switch from their own clocks (docs/schedules.md).
            live = new SwitchOrder(inFlight.Value.Release, switching, switchAt);
        }
        else if (history.FirstOrDefault(h => h.State is PublicationStates.Live or PublicationStates.Partial) is { Generation: { } generation } current)
        {
            live = new SwitchOrder(current.Release, generation);
        }

        var hold = new List<long>();
        if (inFlight is { } flying)
        {
            hold.Add(flying.Release);
        }

        if (agentId is null && wavedInFlight is { } waved)
        {
            // The environment as a whole (the tiers' protection) holds the release some waves stage or serve.
            hold.Add(waved);
        }
        else if (agentId is not null)
        {
            // The latest decision wins: generations only grow, so the order with the highest one is the newest.
            var (waveHold, waveOrder) = await WaveStore.ForAgentAsync(connection, environment, agentId, cancellationToken);
            if (waveHold is { } holdNow && !hold.Contains(holdNow))
            {
                hold.Add(holdNow);
            }

            if (waveOrder is not null && (live is null || waveOrder.Generation > live.Generation))
            {
                live = waveOrder;
            }
        }

        if (live is not null && !hold.Contains(live.ReleaseId))
        {
            hold.Add(live.ReleaseId);
        }

        // Releases that were live before, newest first, so rolling back to them is a pointer flip.
        var kept = 0;
        foreach (var (release, _, _) in history)
        {
            if (kept >= retention)
            {
                break;
            }

            if (!hold.Contains(release))
            {
                hold.Add(release);
                kept++;
            }
        }

        // The release a schedule's window reverts to stays held whatever the hot policy, from the activation on (so there is
        // no gap between the activation going live and the schedule turning Active), so its revert is a pointer flip (I2).
        await using (var command = connection.Command(
            """
            SELECT coalesce(revert_to_release_id, previous_release_id) FROM schedules
            WHERE environment = @env AND state IN ('Activating', 'Active') AND has_revert AND coalesce(revert_to_release_id, previous_release_id) IS NOT NULL
            ORDER BY id
            """, ("env", environment)))
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                if (!hold.Contains(reader.GetInt64(0)))
                {
                    hold.Add(reader.GetInt64(0));
                }
            }
        }

        return (hold, live);
    }

    internal static async Task<ReleaseManifest> ManifestAsync(NpgsqlConnection connection, long releaseId, CancellationToken cancellationToken)
    {
        var release = await ReleaseStore.GetAsync(connection, releaseId, cancellationToken)
            ?? throw new InvalidOperationException($"Release {releaseId} disappeared.");
        var datasets = new Dictionary<string, DatasetVersionRef>(StringComparer.Ordinal);
        foreach (var (name, version) in release.Versions)
        {
            var dataset = DatasetDefinition.Find(name) ?? throw new InvalidOperationException($"Release {releaseId} names unknown dataset '{name}'.");
            await using var command = connection.Command(
                "SELECT records, content_hash, change_watermark FROM dataset_versions WHERE dataset_id = @dataset AND version = @version",
                ("dataset", dataset.Id), ("version", version));
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            if (!await reader.ReadAsync(cancellationToken))
            {
                throw new InvalidOperationException($"Release {releaseId} names {name} version {version}, which does not exist.");
            }

            datasets[name] = new DatasetVersionRef(version, reader.GetInt64(0), reader.GetString(1), reader.GetInt64(2));
        }

        return new ReleaseManifest(releaseId, datasets);
    }

    private static string ETagOf(IEnumerable<long> hold, SwitchOrder? live, int retention)
    {
        var text = $"{string.Join(',', hold)}|{live?.ReleaseId}:{live?.Generation}|{retention}";
        if (live?.SwitchAt is { } at)
        {
            text += $"|{at.UtcTicks}";
        }

        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)))[..16];
    }
}
