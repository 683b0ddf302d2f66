using System.CommandLine;
using System.Globalization;
using ControlPlane.Cli.Output;
using ControlPlane.Client;

namespace ControlPlane.Cli.Commands;

/// <summary>cpctl publish RELEASE [--wait]: make a release live on every agent of its environment.</summary>
public static class PublishCommand
{
    public static Command Create(CommandRunner runner)
    {
        var release = new Argument<long>("release") { Description = "Release id (from 'cpctl release create')" };
        var emergency = new Option<bool>("--emergency") { Description = "Publish without the approvals the policy asks for (its emergency role only; needs --reason)" };
        var reason = new Option<string?>("--reason") { Description = "Why, for the audit log (required with --emergency)" };
        var wait = new WaitOptions();
        var command = new Command("publish", "Publish a release: agents stage it, then all switch at once.") { release, emergency, reason };
        wait.AddTo(command);
        runner.SetAction(command, async (parse, context, cancellationToken) =>
        {
            var request = parse.GetValue(emergency) || parse.GetValue(reason) is not null
                ? new PublishRequest(Emergency: parse.GetValue(emergency) ? true : null, Reason: parse.GetValue(reason))
                : null;
            var started = await context.Client.PublishAsync(parse.GetValue(release), request, cancellationToken);
            return await StartedAsync(context, started, parse, wait, cancellationToken);
        });
        return command;
    }

    /// <summary>Reports a started publication, then follows it when --wait is given.</summary>
    internal static async Task<int> StartedAsync(
        CommandContext context, PublicationInfo started, ParseResult parse, WaitOptions wait, CancellationToken cancellationToken)
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
                await context.Out.WriteLineAsync(
                    $"Started {started.Kind} {started.Id}: release {started.ReleaseId} to {started.Environment} on {started.Agents.Count} agent(s), state {started.State}.");
                await context.Out.WriteLineAsync($"Follow it with: cpctl status --publication {started.Id}");
            }

            return ExitCodes.Ok;
        }

        if (!context.Json)
        {
            await context.Error.WriteLineAsync(
                $"Started {started.Kind} {started.Id}: release {started.ReleaseId} to {started.Environment} on {started.Agents.Count} agent(s).");
        }

        return await new PublicationWatcher(context, parse.GetValue(wait.Timeout), parse.GetValue(wait.PollInterval))
            .WaitAsync(started, cancellationToken);
    }
}
