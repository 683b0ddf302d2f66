using System.CommandLine;
using System.Globalization;
using ControlPlane.Cli.Output;
using ControlPlane.Client;

namespace ControlPlane.Cli.Commands;

/// <summary>cpctl publish RELEASE [--waves ...|--canary N] [--hold D] [--wait]: make a release live on every agent of its environment.</summary>
public static class PublishCommand
{
    public static Command Create(CommandRunner runner)
    {
        var release = new Argument<long>("release") { Description = "Release id (from 'cpctl release create')" };
        var emergency = new Option<bool>("--emergency") { Description = "Publish without the approvals the policy asks for (its emergency role only; needs --reason)" };
        var reason = new Option<string?>("--reason") { Description = "Why, for the audit log (required with --emergency)" };
        var plan = new WavePlanOptions();
        var wait = new WaitOptions();
        var command = new Command("publish",
            "Publish a release: agents stage it, then switch; all at once, or wave by wave with --waves or --canary.\n" +
            "With --wait and waves, the command ends when a wave is live and the next waits for 'cpctl promote' (exit code 11).")
        {
            release, emergency, reason,
        };
        plan.AddTo(command);
        wait.AddTo(command);
        runner.SetAction(command, async (parse, context, cancellationToken) =>
        {
            var isEmergency = parse.GetValue(emergency);
            var why = parse.GetValue(reason);
            if (isEmergency && string.IsNullOrWhiteSpace(why))
            {
                throw new UsageException("--emergency needs --reason: say why approvals are skipped (it goes to the audit log).");
            }

            var waves = plan.Read(parse);
            var request = waves is not null || isEmergency || why is not null
                ? new PublishRequest(waves?.Waves, waves?.CanaryPercent, waves?.HoldSeconds, isEmergency ? true : null, why)
                : null;
            var started = await context.Client.PublishAsync(parse.GetValue(release), request, cancellationToken);
            return await StartedAsync(context, started, parse, wait, cancellationToken);
        });
        return command;
    }

    /// <summary>Reports a started publication, then follows it when --wait is given.</summary>
    internal static async Task<int> StartedAsync(
        CommandContext context, PublicationInfo started, ParseResult parse, WaitOptions wait, CancellationToken cancellationToken,
        string verb = "Started", WaitGoal goal = WaitGoal.Live)
    {
        if (!parse.GetValue(wait.Wait))
        {
            if (context.Json)
            {
                await CliJson.WriteAsync(context.Out, started);
            }
            else if (context.Quiet)
            {
                await context.Out.WriteLineAsync(started.Id.ToString(CultureInfo.InvariantCulture));
            }
            else
            {
                await context.Out.WriteLineAsync(Headline(verb, started) + $", state {started.State}.");
                await context.Out.WriteLineAsync($"Follow it with: cpctl status --publication {started.Id}");
            }

            return ExitCodes.Ok;
        }

        if (!context.Json)
        {
            await context.Error.WriteLineAsync(Headline(verb, started) + ".");
        }

        return await new PublicationWatcher(context, parse.GetValue(wait.Timeout), parse.GetValue(wait.PollInterval), goal)
            .WaitAsync(started, cancellationToken);
    }

    private static string Headline(string verb, PublicationInfo p) =>
        $"{verb} {p.Kind} {p.Id}: release {p.ReleaseId} to {p.Environment} on {p.Agents.Count} agent(s)" +
        (p is { Waves.Count: > 0, CurrentWave: { } current } ? $", wave {current + 1} of {p.Waves.Count} ({WaveText.Describe(p.Waves[current])})" : "");
}
