using System.CommandLine;
using System.CommandLine.Parsing;

namespace ControlPlane.Cli.Commands;

/// <summary>--wait, --timeout and --poll-interval, shared by publish and rollback.</summary>
public sealed class WaitOptions
{
    public Option<bool> Wait { get; } = new("--wait", "-w")
    {
        Description = "Follow the publication until it ends; the exit code tells how (0 only when Live)",
    };

    public Option<TimeSpan> Timeout { get; } = new("--timeout")
    {
        Description = "Stop waiting after this long (90s, 10m, 1h30m) with exit code 8; the publication goes on [default 15m]",
        DefaultValueFactory = _ => TimeSpan.FromMinutes(15),
        CustomParser = ParseDuration,
    };

    public Option<TimeSpan> PollInterval { get; } = new("--poll-interval")
    {
        Description = "How often to read the publication while waiting [default 1s]",
        DefaultValueFactory = _ => TimeSpan.FromSeconds(1),
        CustomParser = ParseDuration,
    };

    public void AddTo(Command command)
    {
        command.Options.Add(Wait);
        command.Options.Add(Timeout);
        command.Options.Add(PollInterval);
    }

    private static TimeSpan ParseDuration(ArgumentResult result)
    {
        var text = result.Tokens.Count > 0 ? result.Tokens[0].Value : "";
        if (Durations.TryParse(text, out var duration) && duration > TimeSpan.Zero)
        {
            return duration;
        }

        result.AddError($"'{text}' is not a duration; write e.g. 90s, 10m, 1h30m or 00:10:00.");
        return TimeSpan.Zero;
    }
}
