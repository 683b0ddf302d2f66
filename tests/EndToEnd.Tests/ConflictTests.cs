using System.Net;
using EndToEnd.Tests.Support;
using Xunit.Abstractions;

namespace EndToEnd.Tests;

public sealed class ConflictTests(ITestOutputHelper output)
{
    [Fact]
    public async Task A_second_publish_while_one_is_in_flight_answers_409_naming_the_first()
    {
        await using var cluster = await Cluster.StartAsync(output, "conflict");
        var first = await cluster.Api.CreateReleaseAsync(cluster.Environment, await cluster.ImportContentAsync(1000, content: 1));
        var second = await cluster.Api.CreateReleaseAsync(cluster.Environment, await cluster.ImportContentAsync(1000, content: 2));

        // Hold the agents' downloads, so the first publication stays in Staging for as long as the test needs.
        foreach (var agent in cluster.Agents)
        {
            agent.RunningHost.Transport.HoldChunksAfter(0);
        }

        var inFlight = await cluster.Api.PublishAsync(first);
        await Eventually.UntilAsync(() => cluster.Agents.All(a => a.RunningHost.Transport.Held > 0), "every agent waits for its first chunk");
        Assert.Equal("Staging", (await cluster.Api.PublicationAsync(inFlight.Id)).State);

        using (var publish = await cluster.Api.PostPublishAsync(second))
        {
            await AssertNamesAsync(publish, first, inFlight.Id);
        }

        using (var rollback = await cluster.Api.PostRollbackAsync(cluster.Environment, second))
        {
            await AssertNamesAsync(rollback, first, inFlight.Id);
        }

        // The refused requests left nothing behind: the first goes live, then the second can be published.
        foreach (var agent in cluster.Agents)
        {
            agent.RunningHost.Transport.Release();
        }

        await cluster.Api.WaitLiveAsync(inFlight.Id);
        Assert.Equal("Pending", (await cluster.Api.ReleaseAsync(second)).State);
        var next = await cluster.Api.PublishAsync(second);
        await cluster.Api.WaitLiveAsync(next.Id);
        await cluster.WaitPointersAsync(second);
    }

    private static async Task AssertNamesAsync(HttpResponseMessage response, long release, long publication)
    {
        var problem = await ControlPlane.Tests.Support.Http.ReadAsync<ProblemDto>(response, HttpStatusCode.Conflict);
        Assert.Contains($"Release {release} ", problem.Detail, StringComparison.Ordinal);
        Assert.Contains($"publication {publication}", problem.Detail, StringComparison.Ordinal);
    }
}
