using ControlPlane.Infrastructure;
using ControlPlane.Releases;
using Npgsql;

namespace ControlPlane.Waves;

/// <summary>Checks a wave request against the environment and splits the participating agents into waves.</summary>
public static class WavePlanner
{
    /// <summary>The longest hold between waves: a week.</summary>
    public const int MaxHoldSeconds = 7 * 24 * 3600;

    /// <summary>Null when the request is valid for the environment, else the first problem, naming its field.</summary>
    public static async Task<PublishOutcome.Invalid?> ValidateAsync(
        NpgsqlConnection connection, string environment, WaveRequest request, CancellationToken cancellationToken)
    {
        var groups = new List<string>();
        await using (var command = connection.Command("SELECT name FROM agent_groups WHERE environment = @env ORDER BY name", ("env", environment)))
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                groups.Add(reader.GetString(0));
            }
        }

        return Validate(environment, groups, request);
    }

    public static PublishOutcome.Invalid? Validate(string environment, IReadOnlyList<string> environmentGroups, WaveRequest request)
    {
        if (request.Groups is not null && request.CanaryPercent is not null)
        {
            return new("canaryPercent", "Give either waves (groups wave by wave) or canaryPercent (a share of agents first), not both.");
        }

        if (request.Groups is null && request.CanaryPercent is null)
        {
            return new("holdSeconds", "holdSeconds applies between waves: give waves or canaryPercent too.");
        }

        if (request.HoldSeconds is < 0 or > MaxHoldSeconds)
        {
            return new("holdSeconds", $"holdSeconds must be between 0 and {MaxHoldSeconds} (a week).");
        }

        if (request.CanaryPercent is { } percent)
        {
            return percent is < 1 or > 99 ? new("canaryPercent", "canaryPercent must be between 1 and 99.") : null;
        }

        var waves = request.Groups!;
        if (waves.Count == 0)
        {
            return new("waves", "waves lists at least one wave, e.g. [[\"east\"], [\"west\"]].");
        }

        var seen = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < waves.Count; i++)
        {
            if (waves[i] is not { Count: > 0 } wave)
            {
                return new($"waves[{i}]", $"Wave {i + 1} names no agent group; every wave names at least one.");
            }

            for (var j = 0; j < wave.Count; j++)
            {
                var group = wave[j];
                if (group is null || !environmentGroups.Contains(group, StringComparer.Ordinal))
                {
                    return new($"waves[{i}][{j}]",
                        $"Environment '{environment}' has no agent group '{group}'; its groups are: {string.Join(", ", environmentGroups)}.");
                }

                if (seen.TryGetValue(group, out var first))
                {
                    return new($"waves[{i}][{j}]", $"Group '{group}' is named twice (in wave {first + 1} and wave {i + 1}); each group goes in exactly one wave.");
                }

                seen[group] = i;
            }
        }

        var missing = environmentGroups.Where(g => !seen.ContainsKey(g)).ToList();
        return missing.Count > 0
            ? new("waves", $"Every agent group of '{environment}' goes in exactly one wave; missing: {string.Join(", ", missing)}.")
            : null;
    }

    /// <summary>
    /// The agents of each wave, empty waves left out. Groups: the agents of the wave's groups. Canary: the first
    /// ceil(n × percent / 100) agents (at least one) in ordinal order of their ids, then the rest.
    /// </summary>
    public static IReadOnlyList<(IReadOnlyList<string>? Groups, IReadOnlyList<string> Agents)> Assign(
        IReadOnlyList<(string AgentId, string Group)> participants, WaveRequest request)
    {
        var ordered = participants.OrderBy(p => p.AgentId, StringComparer.Ordinal).ToList();
        var waves = new List<(IReadOnlyList<string>?, IReadOnlyList<string>)>();
        if (request.CanaryPercent is { } percent)
        {
            var canary = CanaryCount(ordered.Count, percent);
            waves.Add((null, ordered.Take(canary).Select(p => p.AgentId).ToList()));
            waves.Add((null, ordered.Skip(canary).Select(p => p.AgentId).ToList()));
        }
        else
        {
            foreach (var wave in request.Groups!)
            {
                var groups = wave!.Select(g => g!).ToList();
                waves.Add((groups, ordered.Where(p => groups.Contains(p.Group, StringComparer.Ordinal)).Select(p => p.AgentId).ToList()));
            }
        }

        return [.. waves.Where(w => w.Item2.Count > 0)];
    }

    /// <summary>ceil(n × percent / 100), at least one agent when there is any.</summary>
    public static int CanaryCount(int agents, int percent) => agents == 0 ? 0 : Math.Max(1, ((agents * percent) + 99) / 100);
}
