using System.CommandLine;
using ControlPlane.Cli.Output;
using ControlPlane.Client;

namespace ControlPlane.Cli.Commands;

/// <summary>cpctl diff DATASET FROM TO: what changed between two versions.</summary>
public static class DiffCommand
{
    public static Command Create(CommandRunner runner)
    {
        var dataset = new Argument<string>("dataset") { Description = "price, stock or product" };
        var from = new Argument<int>("from") { Description = "Version to compare from" };
        var to = new Argument<int>("to") { Description = "Version to compare to" };
        var change = new Option<string?>("--change") { Description = "Only added, changed or removed SKUs" };
        change.AcceptOnlyFromAmong("added", "changed", "removed");
        var limit = new Option<int>("--limit", "-n") { Description = "Show at most this many SKUs [default 20]", DefaultValueFactory = _ => 20 };
        var all = new Option<bool>("--all") { Description = "Show every SKU that differs (pages through the whole difference)" };
        var command = new Command("diff", "Show the SKUs added, changed and removed between two versions of a dataset.")
        {
            dataset, from, to, change, limit, all,
        };
        runner.SetAction(command, async (parse, context, cancellationToken) =>
        {
            var name = parse.GetValue(dataset)!;
            var only = parse.GetValue(change) is { } c ? Enum.Parse<DiffChange>(c, ignoreCase: true) : (DiffChange?)null;
            var showAll = parse.GetValue(all);
            var max = parse.GetValue(limit);
            if (!showAll && max < 1)
            {
                throw new UsageException("--limit must be 1 or more.");
            }

            var first = await context.Client.DiffAsync(name, parse.GetValue(from), parse.GetValue(to), only, limit: showAll ? 1000 : Math.Min(max, 1000),
                cancellationToken: cancellationToken);
            var items = new List<DiffItem>(first.Items);
            var next = first.NextAfter;
            while (next is not null && (showAll || items.Count < max))
            {
                var page = await context.Client.DiffAsync(name, first.From, first.To, only, next, showAll ? 1000 : Math.Min(max - items.Count, 1000), cancellationToken);
                items.AddRange(page.Items);
                next = page.NextAfter;
            }

            if (context.Json)
            {
                await CliJson.WriteAsync(context.Out, first with { Items = items, NextAfter = next });
                return ExitCodes.Ok;
            }

            await context.Out.WriteLineAsync(
                $"{first.Dataset} {first.From} -> {first.To}: {first.Added:N0} added, {first.Changed:N0} changed, {first.Removed:N0} removed");
            foreach (var item in items)
            {
                await context.Out.WriteLineAsync(item.Change switch
                {
                    DiffChange.Added => $"+ {item.Sku}  {item.After?.GetRawText()}",
                    DiffChange.Removed => $"- {item.Sku}  {item.Before?.GetRawText()}",
                    _ => $"~ {item.Sku}  {item.Before?.GetRawText()} -> {item.After?.GetRawText()}",
                });
            }

            var shown = only switch
            {
                DiffChange.Added => first.Added,
                DiffChange.Changed => first.Changed,
                DiffChange.Removed => first.Removed,
                _ => first.Added + first.Changed + first.Removed,
            };
            if (next is not null && shown > items.Count)
            {
                await context.Out.WriteLineAsync($"... {shown - items.Count:N0} more (use --all or --limit)");
            }

            return ExitCodes.Ok;
        });
        return command;
    }
}
