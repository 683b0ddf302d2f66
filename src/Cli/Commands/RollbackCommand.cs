using System.CommandLine;

namespace ControlPlane.Cli.Commands;

/// <summary>cpctl rollback --env ENV [--to RELEASE] [--wait]: make an earlier release live again.</summary>
public static class RollbackCommand
{
    public static Command Create(CommandRunner runner)
    {
        var environment = new Option<string>("--env", "-e") { Description = "Environment to roll back", Required = true };
        var to = new Option<long?>("--to") { Description = "Release to make live [default: the one live before the current]" };
        var reason = new Option<string?>("--reason") { Description = "Why, for the audit log" };
        var wait = new WaitOptions();
        var command = new Command("rollback", "Roll back: a pointer flip when the release is still hot on every agent, else a publish of it.")
        {
            environment, to, reason,
        };
        wait.AddTo(command);
        runner.SetAction(command, async (parse, context, cancellationToken) =>
        {
            var started = await context.Client.RollbackAsync(parse.GetValue(environment)!, parse.GetValue(to), parse.GetValue(reason), cancellationToken);
            return await PublishCommand.StartedAsync(context, started, parse, wait, cancellationToken);
        });
        return command;
    }
}
