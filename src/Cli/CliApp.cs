using System.CommandLine;
using System.Net.Http;
using System.Net.Sockets;
using ControlPlane.Cli.Commands;
using ControlPlane.Cli.Output;
using ControlPlane.Client;

namespace ControlPlane.Cli;

/// <summary>The cpctl command tree, and how a failure becomes a message on stderr and an exit code.</summary>
public static class CliApp
{
    public static async Task<int> RunAsync(string[] args, CliConsole console, CancellationToken cancellationToken = default)
    {
        var root = Build(console);
        var parse = root.Parse(args);
        var invocation = new InvocationConfiguration { Output = console.Out, Error = console.Error, EnableDefaultExceptionHandler = false };
        if (parse.Errors.Count > 0)
        {
            foreach (var error in parse.Errors)
            {
                await console.Error.WriteLineAsync("error: " + error.Message);
            }

            await console.Error.WriteLineAsync("Run 'cpctl --help' (or the command with --help) for usage.");
            return ExitCodes.Usage;
        }

        return await parse.InvokeAsync(invocation, cancellationToken);
    }

    public static RootCommand Build(CliConsole console)
    {
        var global = new GlobalOptions();
        var root = new RootCommand(
            "cpctl: import data, create and publish releases, roll back, and watch the promotion data control plane.\n" +
            "Configured by flags or environment variables: CP_URL, CP_TOKEN, CP_OUTPUT.\n\nExit codes:\n" +
            string.Join('\n', ExitCodes.All.Select(e => $"  {e.Code,3}  {e.Meaning}")));
        global.AddTo(root);
        var runner = new CommandRunner(global, console);
        root.Subcommands.Add(ImportCommand.Create(runner));
        root.Subcommands.Add(ReleaseCommands.Create(runner));
        root.Subcommands.Add(PublishCommand.Create(runner));
        root.Subcommands.Add(WaveCommands.Promote(runner));
        root.Subcommands.Add(WaveCommands.Abort(runner));
        root.Subcommands.Add(RollbackCommand.Create(runner));
        root.Subcommands.Add(StatusCommand.Create(runner));
        root.Subcommands.Add(DiffCommand.Create(runner));
        root.Subcommands.Add(GovernanceCommands.Pin(runner));
        root.Subcommands.Add(GovernanceCommands.Unpin(runner));
        root.Subcommands.Add(GovernanceCommands.Policy(runner));
        root.Subcommands.Add(AuditCommand.Create(runner));
        root.Subcommands.Add(TokenCommands.Create(runner));
        root.Subcommands.Add(TokenCommands.WhoAmI(runner));
        return root;
    }
}

/// <summary>Runs a command's action with its context and turns every failure into its exit code.</summary>
public sealed class CommandRunner(GlobalOptions global, CliConsole console)
{
    public GlobalOptions Global => global;

    public void SetAction(Command command, Func<ParseResult, CommandContext, CancellationToken, Task<int>> action) =>
        command.SetAction((parse, cancellationToken) => RunAsync(parse, action, cancellationToken));

    private async Task<int> RunAsync(ParseResult parse, Func<ParseResult, CommandContext, CancellationToken, Task<int>> action, CancellationToken cancellationToken)
    {
        CommandContext? context = null;
        try
        {
            context = CommandContext.Create(parse, global, console);
            return await action(parse, context, cancellationToken);
        }
        catch (UsageException usage)
        {
            await console.Error.WriteLineAsync("error: " + usage.Message);
            return ExitCodes.Usage;
        }
        catch (ApiProblemException problem)
        {
            await ProblemPrinter.WriteAsync(console.Error, problem.Problem);
            return problem is { Status: 409, Title: "Waiting for approval" } ? ExitCodes.WaitingForApproval : ExitCodeOf(problem.Status);
        }
        catch (HttpRequestException unreachable)
        {
            var url = context?.Url.ToString() ?? "(unknown)";
            await console.Error.WriteLineAsync($"error: cannot reach the control plane at {url}: {Reason(unreachable)}");
            await console.Error.WriteLineAsync("Check --url (or CP_URL) and that the control plane is running.");
            return ExitCodes.Unreachable;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            await console.Error.WriteLineAsync("Interrupted.");
            return ExitCodes.Interrupted;
        }
        catch (System.Text.Json.JsonException json)
        {
            await console.Error.WriteLineAsync($"error: the control plane's answer could not be read: {json.Message}");
            return ExitCodes.Error;
        }
        finally
        {
            context?.Dispose();
        }
    }

    public static int ExitCodeOf(int status) => status switch
    {
        401 or 403 => ExitCodes.Unauthorized,
        502 or 503 or 504 => ExitCodes.Unreachable,
        >= 400 and < 500 => ExitCodes.Rejected,
        _ => ExitCodes.Error,
    };

    private static string Reason(HttpRequestException exception)
    {
        for (Exception? current = exception; current is not null; current = current.InnerException)
        {
            if (current is SocketException socket)
            {
                return socket.Message;
            }
        }

        return exception.Message;
    }
}
