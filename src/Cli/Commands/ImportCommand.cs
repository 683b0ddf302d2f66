using System.CommandLine;
using ControlPlane.Cli.Output;
using ControlPlane.Client;

namespace ControlPlane.Cli.Commands;

/// <summary>cpctl import DATASET [FILE]: a full snapshot or a change set, streamed from a file or stdin.</summary>
public static class ImportCommand
{
    public static Command Create(CommandRunner runner)
    {
        var dataset = new Argument<string>("dataset") { Description = "price, stock or product" };
        var file = new Argument<string?>("file")
        {
            Description = "NDJSON or CSV file; '-' or nothing reads stdin",
            Arity = ArgumentArity.ZeroOrOne,
        };
        var format = new Option<string?>("--format", "-f") { Description = "ndjson or csv [default: from the file's extension; ndjson for stdin]" };
        format.AcceptOnlyFromAmong("ndjson", "csv");
        var mode = new Option<string>("--mode") { Description = "full (the whole dataset) or delta (upserts and deletes on a base)", DefaultValueFactory = _ => "full" };
        mode.AcceptOnlyFromAmong("full", "delta");
        var baseVersion = new Option<int?>("--base") { Description = "Version a delta applies to [default: the latest]" };
        var rebase = new Option<bool>("--rebase") { Description = "Apply a delta on the latest version even when --base is older" };
        var allowEmpty = new Option<bool>("--allow-empty") { Description = "Accept a full snapshot without records" };
        var note = new Option<string?>("--note") { Description = "Note stored with the version" };

        var command = new Command("import", "Import a file as a new version of a dataset (a body equal to the latest version creates nothing).")
        {
            dataset, file, format, mode, baseVersion, rebase, allowEmpty, note,
        };
        runner.SetAction(command, async (parse, context, cancellationToken) =>
        {
            var path = parse.GetValue(file);
            var fromStdin = path is null or "-";
            if (fromStdin && !context.Console.IsInputRedirected)
            {
                throw new UsageException("give a file, or pipe the data into stdin (cpctl import price - < prices.ndjson).");
            }

            var contentType = ContentTypeOf(parse.GetValue(format), fromStdin ? null : path);
            var parameters = new ImportParameters
            {
                Mode = parse.GetValue(mode) == "delta" ? ImportMode.Delta : ImportMode.Full,
                Base = parse.GetValue(baseVersion),
                Rebase = parse.GetValue(rebase) ? true : null,
                AllowEmpty = parse.GetValue(allowEmpty) ? true : null,
                Note = parse.GetValue(note),
            };

            await using var body = fromStdin ? context.Console.OpenStandardInput() : OpenFile(path!);
            var name = parse.GetValue(dataset)!;
            var result = await context.Client.ImportAsync(name, body, contentType, parameters, cancellationToken);
            await WriteAsync(context, result, fromStdin ? "stdin" : path!);
            return ExitCodes.Ok;
        });
        return command;
    }

    internal static string ContentTypeOf(string? format, string? path)
    {
        format ??= path is null ? "ndjson" : Path.GetExtension(path).ToLowerInvariant() switch
        {
            ".csv" => "csv",
            ".ndjson" or ".jsonl" or ".json" => "ndjson",
            _ => throw new UsageException($"cannot tell the format of '{path}' from its extension; add --format ndjson or --format csv."),
        };
        return format == "csv" ? ImportContentTypes.Csv : ImportContentTypes.Ndjson;
    }

    private static FileStream OpenFile(string path)
    {
        try
        {
            return new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.Asynchronous | FileOptions.SequentialScan);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new UsageException($"cannot read '{path}': {e.Message}");
        }
    }

    private static async Task WriteAsync(CommandContext context, ImportResult result, string source)
    {
        var v = result.Version;
        if (context.Json)
        {
            await CliJson.WriteAsync(context.Out, new { created = result.Created, version = v });
            return;
        }

        if (context.Quiet)
        {
            await context.Out.WriteLineAsync(v.Version.ToString(System.Globalization.CultureInfo.InvariantCulture));
            return;
        }

        await context.Out.WriteLineAsync(result.Created
            ? $"Created {v.Dataset} version {v.Version} ({v.Kind}{(v.BaseVersion is { } b ? $" on {b}" : "")}) from {source}: " +
              $"{v.Records:N0} records, {v.Added:N0} added, {v.Changed:N0} changed, {v.Removed:N0} removed; {v.ContentHash}"
            : $"Unchanged: the content from {source} equals {v.Dataset} version {v.Version} ({v.Records:N0} records); nothing was created.");
        foreach (var warning in v.Warnings)
        {
            var examples = warning.Examples.Count > 0 ? $" (e.g. {string.Join(", ", warning.Examples.Take(5))})" : "";
            await context.Out.WriteLineAsync($"warning: {warning.Code}: {warning.Message}{examples}");
        }
    }
}
