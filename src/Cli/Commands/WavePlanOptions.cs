using System.CommandLine;
using System.CommandLine.Parsing;

namespace ControlPlane.Cli.Commands;

/// <summary>How a publish goes out: --waves "east;west" (groups, ';' between waves, ',' within one), --canary PERCENT, --hold DURATION.</summary>
public sealed class WavePlanOptions
{
    public Option<List<IReadOnlyList<string>>?> Waves { get; } = new("--waves")
    {
        Description = "Agent groups wave by wave: ';' between waves, ',' between groups of one wave (e.g. \"east;west\" or \"east,north;west\"). " +
                      "Every group of the environment exactly once.",
        CustomParser = ParseWaves,
    };

    public Option<int?> Canary { get; } = new("--canary")
    {
        Description = "Send this percentage of the agents (1-99, at least one agent) first, then the rest",
    };

    public Option<TimeSpan?> Hold { get; } = new("--hold")
    {
        Description = "After a wave is live, promote the next automatically after this long (e.g. 15m) unless someone aborts; " +
                      "without it the next wave waits for 'cpctl promote'",
        CustomParser = ParseHold,
    };

    public void AddTo(Command command)
    {
        command.Options.Add(Waves);
        command.Options.Add(Canary);
        command.Options.Add(Hold);
    }

    /// <summary>The wave part of the publish body, or null when the release goes to every agent at once.</summary>
    public (IReadOnlyList<IReadOnlyList<string>>? Waves, int? CanaryPercent, int? HoldSeconds)? Read(ParseResult parse)
    {
        // A collection-typed option reads as an empty list when it is not given.
        var waves = parse.GetValue(Waves) is { Count: > 0 } given ? given : null;
        var canary = parse.GetValue(Canary);
        var hold = parse.GetValue(Hold);
        if (waves is not null && canary is not null)
        {
            throw new UsageException("--waves and --canary exclude each other: name the groups wave by wave, or a canary share.");
        }

        if (hold is not null && waves is null && canary is null)
        {
            throw new UsageException("--hold applies between waves: add --waves or --canary.");
        }

        return waves is null && canary is null
            ? null
            : (waves, canary, hold is { } h ? (int)Math.Ceiling(h.TotalSeconds) : null);
    }

    private static List<IReadOnlyList<string>>? ParseWaves(ArgumentResult result)
    {
        if (result.Tokens.Count == 0)
        {
            return null;
        }

        var text = result.Tokens.Count > 0 ? result.Tokens[0].Value : "";
        var waves = new List<IReadOnlyList<string>>();
        foreach (var wave in text.Split(';'))
        {
            var groups = wave.Split(',', StringSplitOptions.TrimEntries);
            if (groups.Any(g => g.Length == 0))
            {
                result.AddError($"--waves '{text}': wave {waves.Count + 1} has an empty group name; write e.g. \"east;west\" or \"east,north;west\".");
                return null;
            }

            waves.Add(groups);
        }

        return waves;
    }

    private static TimeSpan? ParseHold(ArgumentResult result)
    {
        if (result.Tokens.Count == 0)
        {
            return null;
        }

        var text = result.Tokens.Count > 0 ? result.Tokens[0].Value : "";
        if (Durations.TryParse(text, out var duration))
        {
            return duration;
        }

        result.AddError($"--hold '{text}' is not a duration; write e.g. 90s, 15m, 1h or 00:15:00.");
        return null;
    }
}
