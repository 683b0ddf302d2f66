using System.CommandLine;
using ControlPlane.Cli.Output;
using ControlPlane.Client;

namespace ControlPlane.Cli.Commands;

/// <summary>cpctl status --env ENV | --release ID | --publication ID.</summary>
public static class StatusCommand
{
    public static Command Create(CommandRunner runner)
    {
        var environment = new Option<string?>("--env", "-e") { Description = "An environment: live release, publication in flight, every agent" };
        var release = new Option<long?>("--release", "-r") { Description = "A release and its latest publication" };
        var publication = new Option<long?>("--publication", "-p") { Description = "One publication with each agent's phase" };
        var command = new Command("status", "Show an environment, a release or a publication.") { environment, release, publication };
        runner.SetAction(command, async (parse, context, cancellationToken) =>
        {
            var (env, rel, pub) = (parse.GetValue(environment), parse.GetValue(release), parse.GetValue(publication));
            if ((env is null ? 0 : 1) + (rel is null ? 0 : 1) + (pub is null ? 0 : 1) != 1)
            {
                throw new UsageException("give exactly one of --env, --release or --publication.");
            }

            if (env is not null)
            {
                var view = await context.Client.GetEnvironmentAsync(env, cancellationToken);
                await (context.Json ? CliJson.WriteAsync(context.Out, view) : WriteEnvironmentAsync(context.Out, view));
            }
            else if (rel is { } releaseId)
            {
                var view = await context.Client.GetReleaseAsync(releaseId, cancellationToken);
                await (context.Json ? CliJson.WriteAsync(context.Out, view) : WriteReleaseAsync(context.Out, view));
            }
            else
            {
                var view = await context.Client.GetPublicationAsync(pub!.Value, cancellationToken);
                await (context.Json ? CliJson.WriteAsync(context.Out, view) : WritePublicationAsync(context.Out, view));
            }

            return ExitCodes.Ok;
        });
        return command;
    }

    private static async Task WriteEnvironmentAsync(TextWriter output, EnvironmentView view)
    {
        await output.WriteLineAsync($"Environment {view.Name} (generation {view.Generation})");
        await output.WriteLineAsync(view.LiveRelease is { } live
            ? $"  live:      release {live.Id} since {view.LiveSince:yyyy-MM-dd HH:mm:ss}Z: {ReleaseCommands.Describe(live.Versions)}{(live.Note is { } n ? "  # " + n : "")}"
            : "  live:      nothing yet");
        await output.WriteLineAsync($"  hot:       {(view.HotReleases.Count == 0 ? "none" : string.Join(", ", view.HotReleases))}");
        foreach (var pin in view.Pins)
        {
            await output.WriteLineAsync($"  pinned:    pin {pin.Id}{(pin.Group is { } g ? " (group " + g + ")" : "")} by {pin.CreatedBy}: {pin.Reason}");
        }

        if (view.InFlight is { } inFlight)
        {
            await output.WriteLineAsync($"  in flight: {inFlight.Kind} {inFlight.Id} of release {inFlight.ReleaseId}, {inFlight.State}");
        }

        if (view.Partial is { } partial)
        {
            await output.WriteLineAsync($"  partial:   {partial.Kind} {partial.Id} of release {partial.ReleaseId}: {partial.Reason}");
        }

        await output.WriteLineAsync($"  {"AGENT",-24} {"GROUP",-10} {"STATUS",-8} {"LIVE",6} {"LAG",8}  STAGING / ERROR");
        foreach (var group in view.Groups)
        {
            if (group.Agents.Count == 0)
            {
                await output.WriteLineAsync($"  {"(no agents)",-24} {group.Name,-10}");
            }

            foreach (var a in group.Agents)
            {
                var staging = a.Staging is { } s ? $"release {s.ReleaseId} {s.Dataset} {s.RecordsStaged:N0}/{s.RecordsTotal:N0}" : "";
                var error = a.LastError is { } e ? (staging.Length > 0 ? "; " : "") + "error: " + e : "";
                var lag = a.LagSeconds is { } l ? $"{l:0.#}s" : "-";
                await output.WriteLineAsync($"  {a.Id,-24} {a.Group,-10} {a.Status,-8} {a.LiveReleaseId?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "-",6} {lag,8}  {staging}{error}");
            }
        }
    }

    private static async Task WriteReleaseAsync(TextWriter output, ReleaseView view)
    {
        var r = view.Release;
        await output.WriteLineAsync($"Release {r.Id} for {r.Environment}: {view.State}");
        await output.WriteLineAsync($"  versions:  {ReleaseCommands.Describe(r.Versions)}");
        await output.WriteLineAsync($"  created:   {r.CreatedAt:yyyy-MM-dd HH:mm:ss}Z by {r.CreatedBy}{(r.Note is { } n ? "  # " + n : "")}");
        if (view.Approval is { } approval)
        {
            await output.WriteLineAsync($"  approvals: {approval.Given} of {approval.Required}{(view.WaitingForApproval ? " (waiting for approval)" : "")}" +
                string.Concat(approval.Approvals.Select(a => $"; {a.Approver} at {a.ApprovedAt:yyyy-MM-dd HH:mm:ss}Z")));
            foreach (var warning in approval.Warnings)
            {
                var acknowledged = !approval.UnacknowledgedWarnings.Contains(warning.Id);
                await output.WriteLineAsync($"  warning:   {warning.Id} {warning.Dataset} v{warning.Version} {warning.Code}: {warning.Message}{(acknowledged ? " (acknowledged)" : "")}");
            }
        }

        if (view.Publication is { } p)
        {
            await WritePublicationAsync(output, p);
        }
    }

    private static async Task WritePublicationAsync(TextWriter output, PublicationInfo p)
    {
        await output.WriteLineAsync($"Publication {p.Id} ({p.Kind} of release {p.ReleaseId} to {p.Environment}): {p.State}");
        await output.WriteLineAsync($"  requested: {p.RequestedAt:yyyy-MM-dd HH:mm:ss}Z by {p.RequestedBy}");
        if (p.Generation is { } generation)
        {
            await output.WriteLineAsync($"  generation {generation}; staging {p.Timings.StagingSeconds:0.###} s, switching {p.Timings.SwitchingSeconds:0.###} s, total {p.Timings.TotalSeconds:0.###} s");
        }

        if (p.Reason is { } reason)
        {
            await output.WriteLineAsync($"  reason:    {reason}");
        }

        foreach (var a in p.Agents)
        {
            var records = a.RecordsTotal > 0 ? $" {a.RecordsStaged:N0}/{a.RecordsTotal:N0} records" : "";
            await output.WriteLineAsync($"  agent {a.AgentId,-24} {a.Group,-10} {a.Phase,-9}{records}{(a.Error is { } e ? " error: " + e : "")}");
        }
    }
}
