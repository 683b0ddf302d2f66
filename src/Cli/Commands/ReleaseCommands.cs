using System.CommandLine;
using System.Globalization;
using ControlPlane.Cli.Output;
using ControlPlane.Client;

namespace ControlPlane.Cli.Commands;

/// <summary>cpctl release create|list.</summary>
public static class ReleaseCommands
{
    public static Command Create(CommandRunner runner)
    {
        var release = new Command("release", "Create and list releases (a manifest {dataset -> version} for one environment).");
        release.Subcommands.Add(CreateCommand(runner));
        release.Subcommands.Add(ListCommand(runner));
        release.Subcommands.Add(GovernanceCommands.Approve(runner));
        return release;
    }

    private static Command CreateCommand(CommandRunner runner)
    {
        var environment = new Option<string>("--env", "-e") { Description = "Environment the release is for", Required = true };
        var versions = new Option<string[]>("--version", "-v")
        {
            Description = "DATASET=VERSION, repeated (e.g. --version price=12 --version stock=40)",
            AllowMultipleArgumentsPerToken = false,
        };
        var latest = new Option<bool>("--latest") { Description = "Use the latest version of every dataset not named by --version" };
        var note = new Option<string?>("--note") { Description = "Note stored with the release" };
        var command = new Command("create", "Create a release; it goes live with 'cpctl publish'.") { environment, versions, latest, note };
        runner.SetAction(command, async (parse, context, cancellationToken) =>
        {
            var manifest = new SortedDictionary<string, int>(StringComparer.Ordinal);
            foreach (var pair in parse.GetValue(versions) ?? [])
            {
                var (name, version) = ParsePair(pair);
                manifest[name] = version;
            }

            if (parse.GetValue(latest))
            {
                foreach (var dataset in await context.Client.ListDatasetsAsync(cancellationToken))
                {
                    if (dataset.Latest is { } newest && !manifest.ContainsKey(dataset.Name))
                    {
                        manifest[dataset.Name] = newest.Version;
                    }
                }
            }

            if (manifest.Count == 0)
            {
                throw new UsageException("name the versions: --version DATASET=VERSION (repeated) and/or --latest.");
            }

            var view = await context.Client.CreateReleaseAsync(
                new CreateReleaseRequest(parse.GetValue(environment)!, manifest, parse.GetValue(note)), cancellationToken);
            if (context.Json)
            {
                await CliJson.WriteAsync(context.Out, view);
            }
            else if (context.Quiet)
            {
                await context.Out.WriteLineAsync(view.Release.Id.ToString(CultureInfo.InvariantCulture));
            }
            else
            {
                await context.Out.WriteLineAsync(
                    $"Created release {view.Release.Id} for {view.Release.Environment}: {Describe(view.Release.Versions)} (state {view.State}).");
                await context.Out.WriteLineAsync($"Publish it with: cpctl publish {view.Release.Id} --wait");
            }

            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command ListCommand(CommandRunner runner)
    {
        var environment = new Option<string?>("--env", "-e") { Description = "Only releases of this environment" };
        var limit = new Option<int?>("--limit") { Description = "How many, newest first [default 20]" };
        var command = new Command("list", "List releases, newest first, with their state.") { environment, limit };
        runner.SetAction(command, async (parse, context, cancellationToken) =>
        {
            var releases = await context.Client.ListReleasesAsync(parse.GetValue(environment), limit: parse.GetValue(limit) ?? 20, cancellationToken: cancellationToken);
            if (context.Json)
            {
                await CliJson.WriteAsync(context.Out, releases);
                return ExitCodes.Ok;
            }

            foreach (var view in releases)
            {
                var r = view.Release;
                await context.Out.WriteLineAsync(
                    $"{r.Id,6}  {r.Environment,-12} {view.State,-11} {r.CreatedAt:yyyy-MM-dd HH:mm:ss}Z  {r.CreatedBy,-12} {Describe(r.Versions)}{(r.Note is { } n ? "  # " + n : "")}");
            }

            return ExitCodes.Ok;
        });
        return command;
    }

    internal static (string Dataset, int Version) ParsePair(string pair)
    {
        var parts = pair.Split('=', 2);
        if (parts.Length != 2 || parts[0].Length == 0
            || !int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var version) || version < 1)
        {
            throw new UsageException($"--version takes DATASET=VERSION with a version number of 1 or more (e.g. price=12), not '{pair}'.");
        }

        return (parts[0], version);
    }

    internal static string Describe(IReadOnlyDictionary<string, int> versions) =>
        string.Join(", ", versions.OrderBy(v => v.Key, StringComparer.Ordinal).Select(v => $"{v.Key}={v.Value}"));
}
