using System.CommandLine;
using System.Globalization;
using ControlPlane.Cli.Output;
using ControlPlane.Client;

namespace ControlPlane.Cli.Commands;

/// <summary>cpctl audit: who changed what, when and why, newest first.</summary>
public static class AuditCommand
{
    public static Command Create(CommandRunner runner)
    {
        var environment = new Option<string?>("--env", "-e") { Description = "Only entries of this environment" };
        var actor = new Option<string?>("--actor") { Description = "Only changes made by this identity (a token's or user's name)" };
        var kind = new Option<string?>("--kind") { Description = "Only this kind, exact (release.publish) or a prefix (release)" };
        var since = new Option<string?>("--since") { Description = "From this time (ISO 8601, e.g. 2026-11-11T00:00:00Z) or this long ago (30m, 2h)" };
        var until = new Option<string?>("--until") { Description = "Before this time (ISO 8601) or this long ago" };
        var limit = new Option<int>("--limit", "-n") { Description = "How many entries [default 50]", DefaultValueFactory = _ => 50 };
        var command = new Command("audit", "Show the audit log: every change with who, when, what and why.") { environment, actor, kind, since, until, limit };
        runner.SetAction(command, async (parse, context, cancellationToken) =>
        {
            var now = context.Console.Time.GetUtcNow();
            var filter = new AuditFilter(
                Time(parse.GetValue(since), "--since", now), Time(parse.GetValue(until), "--until", now),
                parse.GetValue(actor), parse.GetValue(environment), parse.GetValue(kind), Limit: Math.Clamp(parse.GetValue(limit), 1, 500));
            var page = await context.Client.ListAuditAsync(filter, cancellationToken);
            if (context.Json)
            {
                await CliJson.WriteAsync(context.Out, page);
                return ExitCodes.Ok;
            }

            foreach (var e in page.Items)
            {
                var where = string.Join(" ", new[] { e.Environment, e.Target }.Where(s => s is not null));
                await context.Out.WriteLineAsync(
                    $"{e.Id,6}  {e.At:yyyy-MM-ddTHH:mm:ssZ}  {e.Actor,-16} {e.Kind,-26} {where}{(e.Reason is { } r ? "  reason: " + r : "")}");
            }

            return ExitCodes.Ok;
        });
        return command;
    }

    private static DateTimeOffset? Time(string? text, string option, DateTimeOffset now)
    {
        if (text is null)
        {
            return null;
        }

        if (Durations.TryParse(text, out var ago) && !text.Contains(':', StringComparison.Ordinal))
        {
            return now - ago;
        }

        return DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var at)
            ? at
            : throw new UsageException($"{option} takes an ISO 8601 time (2026-11-11T00:00:00Z) or a duration ago (30m), not '{text}'.");
    }
}
