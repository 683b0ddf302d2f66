using System.CommandLine;
using System.Globalization;
using ControlPlane.Cli.Output;
using ControlPlane.Client;

namespace ControlPlane.Cli.Commands;

/// <summary>cpctl release approve, cpctl pin/unpin, cpctl policy show/set.</summary>
public static class GovernanceCommands
{
    public static Command Approve(CommandRunner runner)
    {
        var release = new Argument<long>("release") { Description = "Release id" };
        var comment = new Option<string?>("--comment") { Description = "Why it is fine, for the audit log" };
        var ack = new Option<string[]>("--ack")
        {
            Description = "Acknowledge a guardrail warning by its id (repeated), or 'all' for every warning of the release",
            AllowMultipleArgumentsPerToken = false,
        };
        var command = new Command("approve", "Approve a release (approver role; not its creator unless the policy allows).") { release, comment, ack };
        runner.SetAction(command, async (parse, context, cancellationToken) =>
        {
            var id = parse.GetValue(release);
            var acks = parse.GetValue(ack) ?? [];
            if (acks.Contains("all"))
            {
                acks = [.. (await context.Client.GetApprovalsAsync(id, cancellationToken)).Warnings.Select(w => w.Id)];
            }

            var state = await context.Client.ApproveAsync(id, new ApproveRequest(parse.GetValue(comment), acks.Length == 0 ? null : acks), cancellationToken);
            if (context.Json)
            {
                await CliJson.WriteAsync(context.Out, state);
                return ExitCodes.Ok;
            }

            await context.Out.WriteLineAsync($"Approved release {id}: {state.Given} of {state.Required} approval(s)" +
                (state.Satisfied ? "; it may be published." : state.UnacknowledgedWarnings.Count > 0
                    ? $"; warnings still to acknowledge: {string.Join(", ", state.UnacknowledgedWarnings)}."
                    : "; more approvals needed."));
            return ExitCodes.Ok;
        });
        return command;
    }

    public static Command Pin(CommandRunner runner)
    {
        var environment = new Option<string>("--env", "-e") { Description = "Environment to pin", Required = true };
        var group = new Option<string?>("--group") { Description = "Pin only this agent group" };
        var reason = new Option<string>("--reason") { Description = "Why, shown in every view and refusal", Required = true };
        var command = new Command("pin", "Freeze what is live (admin): publishes and rollbacks are refused until unpinned.") { environment, group, reason };
        runner.SetAction(command, async (parse, context, cancellationToken) =>
        {
            var pin = await context.Client.PinAsync(parse.GetValue(environment)!, new CreatePinRequest(parse.GetValue(group), parse.GetValue(reason)!), cancellationToken);
            await (context.Json ? CliJson.WriteAsync(context.Out, pin)
                : context.Quiet ? context.Out.WriteLineAsync(pin.Id.ToString(CultureInfo.InvariantCulture))
                : context.Out.WriteLineAsync($"Pinned {pin.Environment}{(pin.Group is { } g ? "/" + g : "")} (pin {pin.Id}): {pin.Reason}"));
            return ExitCodes.Ok;
        });
        return command;
    }

    public static Command Unpin(CommandRunner runner)
    {
        var environment = new Option<string>("--env", "-e") { Description = "Environment", Required = true };
        var id = new Argument<long>("pin") { Description = "Pin id (cpctl status --env shows them)" };
        var reason = new Option<string?>("--reason") { Description = "Why, for the audit log" };
        var command = new Command("unpin", "Remove a pin (admin).") { id, environment, reason };
        runner.SetAction(command, async (parse, context, cancellationToken) =>
        {
            var pin = await context.Client.UnpinAsync(parse.GetValue(environment)!, parse.GetValue(id), parse.GetValue(reason), cancellationToken);
            await (context.Json ? CliJson.WriteAsync(context.Out, pin) : context.Out.WriteLineAsync($"Removed pin {pin.Id} of {pin.Environment}."));
            return ExitCodes.Ok;
        });
        return command;
    }

    public static Command Policy(CommandRunner runner)
    {
        var policy = new Command("policy", "Show or set an environment's approval policy.");
        var showEnv = new Option<string>("--env", "-e") { Description = "Environment", Required = true };
        var show = new Command("show", "Show the policy.") { showEnv };
        runner.SetAction(show, async (parse, context, cancellationToken) =>
        {
            var current = await context.Client.GetPolicyAsync(parse.GetValue(showEnv)!, cancellationToken);
            await (context.Json ? CliJson.WriteAsync(context.Out, current) : context.Out.WriteLineAsync(Describe(current)));
            return ExitCodes.Ok;
        });

        var setEnv = new Option<string>("--env", "-e") { Description = "Environment", Required = true };
        var approvals = new Option<int>("--approvals") { Description = "Approvals a release needs (0 to 10)", Required = true };
        var creator = new Option<bool>("--creator-may-approve") { Description = "Let a release's creator approve it" };
        var emergency = new Option<string?>("--emergency-role") { Description = "Role that may publish without approvals, with a reason (operator, approver, admin, none)" };
        emergency.AcceptOnlyFromAmong(TokenRoles.Operator, TokenRoles.Approver, TokenRoles.Admin, "none");
        var reason = new Option<string?>("--reason") { Description = "Why, for the audit log" };
        var set = new Command("set", "Set the policy (admin).") { setEnv, approvals, creator, emergency, reason };
        runner.SetAction(set, async (parse, context, cancellationToken) =>
        {
            var role = parse.GetValue(emergency);
            var updated = await context.Client.PutPolicyAsync(parse.GetValue(setEnv)!,
                new PutPolicyRequest(parse.GetValue(approvals), parse.GetValue(creator), role is "none" ? null : role ?? TokenRoles.Admin, parse.GetValue(reason)),
                cancellationToken);
            await (context.Json ? CliJson.WriteAsync(context.Out, updated) : context.Out.WriteLineAsync(Describe(updated)));
            return ExitCodes.Ok;
        });
        policy.Subcommands.Add(show);
        policy.Subcommands.Add(set);
        return policy;
    }

    private static string Describe(EnvironmentPolicy p) =>
        $"{p.RequiredApprovals} approval(s) needed; the creator {(p.CreatorMayApprove ? "may" : "may not")} approve; " +
        $"emergency publish: {p.EmergencyRole ?? "nobody"}" + (p.UpdatedBy is { } by ? $" (set by {by} at {p.UpdatedAt:yyyy-MM-ddTHH:mm:ssZ})" : "");
}
