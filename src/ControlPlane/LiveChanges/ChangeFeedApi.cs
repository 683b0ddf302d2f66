using ControlPlane.Agents;
using ControlPlane.Datasets;
using ControlPlane.Infrastructure;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;

namespace ControlPlane.LiveChanges;

/// <summary>
/// GET /api/v1/agents/{id}/changes?dataset=&amp;after=&amp;limit=&amp;waitSeconds=: an agent pulls a dataset's change log after the
/// position it has applied (I4). Held until there are changes or the wait ends; woken by NOTIFY from any instance.
/// Each agent pulls on its own, so a slow one delays nobody.
/// </summary>
public static class ChangeFeedApi
{
    public static RouteHandlerBuilder MapLiveChangeFeed(this RouteGroupBuilder agentOnly) =>
        agentOnly.MapGet("/{id}/changes", Pull)
            .WithSummary("Long poll: the dataset's live changes after `after` (the agent's applied position), in sequence order.");

    private static async Task<Results<Ok<LiveChangePage>, ProblemHttpResult>> Pull(
        string id, string? dataset, long? after, int? limit, int? waitSeconds, AgentStore agents, ChangeLogQueries queries, ChangeSignal signal,
        IOptions<LiveChangesOptions> options, IOptions<AgentOptions> agentOptions, IHostApplicationLifetime lifetime, CancellationToken cancellationToken)
    {
        if (dataset is null || DatasetDefinition.Find(dataset) is not { } definition)
        {
            return Problems.BadParameter("dataset", $"dataset must name a dataset ({string.Join(", ", DatasetDefinition.All.Select(d => d.Name))}).");
        }

        if (after is < 0)
        {
            return Problems.BadParameter("after", "after is the last sequence number applied, 0 or more.");
        }

        var maxPage = options.Value.MaxFeedPage;
        if (limit is < 1 || limit > maxPage)
        {
            return Problems.BadParameter("limit", $"limit must be between 1 and {maxPage}.");
        }

        if (await agents.EnvironmentOfAsync(id, cancellationToken) is null)
        {
            return Problems.NotFound($"Agent '{id}' is not registered; POST /api/v1/agents/register first.");
        }

        var position = after ?? 0;
        var size = limit ?? maxPage;
        var longPoll = agentOptions.Value.LongPollSeconds;
        var wait = TimeSpan.FromSeconds(Math.Clamp(waitSeconds ?? longPoll, 0, longPoll));

        // Take the wake-up before reading, so a batch committed in between is not missed.
        var next = signal.Next(definition.Name);
        var (lastSeq, changes) = await queries.PageAsync(definition, position, size, cancellationToken);
        await queries.RecordPositionAsync(id, definition, position, caughtUp: changes.Count == 0, cancellationToken);
        if (changes.Count > 0 || wait == TimeSpan.Zero)
        {
            return TypedResults.Ok(new LiveChangePage(definition.Name, position, lastSeq, changes));
        }

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, lifetime.ApplicationStopping);
        timeout.CancelAfter(wait);
        while (!timeout.IsCancellationRequested)
        {
            await Task.WhenAny(next, Task.Delay(Timeout.Infinite, timeout.Token));
            if (!next.IsCompleted)
            {
                break;
            }

            next = signal.Next(definition.Name);
            (lastSeq, changes) = await queries.PageAsync(definition, position, size, cancellationToken);
            if (changes.Count > 0)
            {
                break;
            }
        }

        cancellationToken.ThrowIfCancellationRequested();
        return TypedResults.Ok(new LiveChangePage(definition.Name, position, lastSeq, changes));
    }
}
