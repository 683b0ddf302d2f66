using System.CommandLine;
using ControlPlane.Cli.Output;
using ControlPlane.Client;

namespace ControlPlane.Cli.Commands;

/// <summary>cpctl token create|list|revoke (admin) and cpctl whoami.</summary>
public static class TokenCommands
{
    public static Command Create(CommandRunner runner)
    {
        var token = new Command("token", "Make, list and revoke API tokens (admin).");
        token.Subcommands.Add(CreateCommand(runner));
        token.Subcommands.Add(ListCommand(runner));
        token.Subcommands.Add(RevokeCommand(runner));
        return token;
    }

    public static Command WhoAmI(CommandRunner runner)
    {
        var command = new Command("whoami", "Show who the token acts as, and its role.");
        runner.SetAction(command, async (_, context, cancellationToken) =>
        {
            var me = await context.Client.WhoAmIAsync(cancellationToken);
            await (context.Json ? CliJson.WriteAsync(context.Out, me)
                : context.Out.WriteLineAsync($"{me.Name} ({me.Role}{(me.AgentId is { } a ? ", agent " + a : "")})"));
            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command CreateCommand(CommandRunner runner)
    {
        var name = new Option<string>("--name") { Description = "Identity the token acts as; changes are recorded under it", Required = true };
        var role = new Option<string>("--role") { Description = "viewer, operator, approver, admin or agent", Required = true };
        role.AcceptOnlyFromAmong(TokenRoles.Viewer, TokenRoles.Operator, TokenRoles.Approver, TokenRoles.Admin, TokenRoles.Agent);
        var days = new Option<int?>("--expires-in-days") { Description = "Expire after this many days [default: never]" };
        var agent = new Option<string?>("--agent-id") { Description = "The agent an agent token is bound to" };
        var command = new Command("create", "Make a token; its secret is printed this once (only its hash is kept).") { name, role, days, agent };
        runner.SetAction(command, async (parse, context, cancellationToken) =>
        {
            var created = await context.Client.CreateTokenAsync(
                new CreateTokenRequest(parse.GetValue(name)!, parse.GetValue(role)!, ExpiresInDays: parse.GetValue(days), AgentId: parse.GetValue(agent)),
                cancellationToken);
            if (context.Json)
            {
                await CliJson.WriteAsync(context.Out, created);
            }
            else if (context.Quiet)
            {
                await context.Out.WriteLineAsync(created.Token);
            }
            else
            {
                await context.Out.WriteLineAsync($"Token {created.Info.Id} for {created.Info.Name} ({created.Info.Role}), " +
                    $"expires {(created.Info.ExpiresAt is { } at ? at.ToString("yyyy-MM-ddTHH:mm:ssZ", System.Globalization.CultureInfo.InvariantCulture) : "never")}:");
                await context.Out.WriteLineAsync(created.Token);
                await context.Error.WriteLineAsync("Store it now: it is not shown again.");
            }

            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command ListCommand(CommandRunner runner)
    {
        var all = new Option<bool>("--all") { Description = "Also revoked and expired tokens" };
        var command = new Command("list", "List tokens (never their secrets).") { all };
        runner.SetAction(command, async (parse, context, cancellationToken) =>
        {
            var tokens = await context.Client.ListTokensAsync(parse.GetValue(all), cancellationToken);
            if (context.Json)
            {
                await CliJson.WriteAsync(context.Out, tokens);
                return ExitCodes.Ok;
            }

            foreach (var t in tokens)
            {
                var state = t.RevokedAt is not null ? "revoked" : t.ExpiresAt is { } e && e <= context.Console.Time.GetUtcNow() ? "expired" : "active";
                await context.Out.WriteLineAsync($"{t.Id,5}  {t.Name,-24} {t.Role,-9} {t.Kind,-8} {t.Prefix,-12} {state}");
            }

            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command RevokeCommand(CommandRunner runner)
    {
        var id = new Argument<long>("id") { Description = "Token id (from 'cpctl token list')" };
        var reason = new Option<string?>("--reason") { Description = "Why, for the audit log" };
        var command = new Command("revoke", "Revoke a token: it fails from the next request on.") { id, reason };
        runner.SetAction(command, async (parse, context, cancellationToken) =>
        {
            var revoked = await context.Client.RevokeTokenAsync(parse.GetValue(id), parse.GetValue(reason), cancellationToken);
            await (context.Json ? CliJson.WriteAsync(context.Out, revoked) : context.Out.WriteLineAsync($"Revoked token {revoked.Id} ({revoked.Name})."));
            return ExitCodes.Ok;
        });
        return command;
    }
}
