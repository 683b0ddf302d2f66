using System.CommandLine;
using ControlPlane.Client;

namespace ControlPlane.Cli.Commands;

/// <summary>cpctl promote RELEASE and cpctl abort RELEASE: move a publication in waves on, or stop it.</summary>
public static class WaveCommands
{
    public static Command Promote(CommandRunner runner)
    {
        var release = new Argument<long>("release") { Description = "Release whose publication is Holding after a wave" };
        var wait = new WaitOptions();
        var command = new Command("promote",
            "Start the next wave of a release's publication (it must be Holding). " +
            "With --wait: exit 0 when the release is Live everywhere, 11 when the promoted wave is live and another waits.")
        {
            release,
        };
        wait.AddTo(command);
        runner.SetAction(command, async (parse, context, cancellationToken) =>
        {
            var promoted = await context.Client.PromoteAsync(parse.GetValue(release), cancellationToken);
            return await PublishCommand.StartedAsync(context, promoted, parse, wait, cancellationToken, verb: "Promoted");
        });
        return command;
    }

    public static Command Abort(CommandRunner runner)
    {
        var release = new Argument<long>("release") { Description = "Release whose publication in waves is to stop" };
        var reason = new Option<string?>("--reason") { Description = "Why, kept in the publication and the audit log" };
        var wait = new WaitOptions();
        var command = new Command("abort",
            "Stop a release's publication in waves: waves not started are cancelled, waves already live go back to the release live before. " +
            "With --wait: exit 0 once it is Aborted.")
        {
            release, reason,
        };
        wait.AddTo(command);
        runner.SetAction(command, async (parse, context, cancellationToken) =>
        {
            var aborting = await context.Client.AbortAsync(parse.GetValue(release), parse.GetValue(reason), cancellationToken);
            return await PublishCommand.StartedAsync(context, aborting, parse, wait, cancellationToken, verb: "Aborting", goal: WaitGoal.Aborted);
        });
        return command;
    }
}

/// <summary>What --wait waits for: the release Live (publish, promote, rollback) or the publication Aborted (abort).</summary>
public enum WaitGoal
{
    Live,
    Aborted,
}

internal static class WaveText
{
    public static string Describe(WaveInfo wave) =>
        wave.Groups is { Count: > 0 } groups ? "groups " + string.Join(", ", groups) : $"{wave.Agents.Count} agent(s)";
}
