using System.Net;
using System.Net.Http.Json;
using ControlPlane.Contracts;
using EndToEnd.Tests.Support;
using Xunit.Abstractions;
using Http = ControlPlane.Tests.Support.Http;

namespace EndToEnd.Tests;

/// <summary>Publishing in waves to real agents and Redis: a wave's Redis switches whole, the others are untouched until their turn.</summary>
public sealed class WaveTests(ITestOutputHelper output)
{
    private const int Skus = 1500;
    private static readonly string[][] EastThenWest = [["east"], ["west"]];

    [Fact]
    public async Task Waves_switch_one_group_at_a_time_and_abort_puts_the_first_group_back_while_the_second_never_changes()
    {
        await using var cluster = await Cluster.StartAsync(output, "waves");
        var (east, west) = (cluster.Agent("east"), cluster.Agent("west"));
        var (first, _) = await cluster.PublishLiveAsync(await cluster.ImportContentAsync(Skus, content: 1));
        var expected1 = await cluster.ExpectedAsync(first);

        // Release 2 in two waves: east goes first and holds; west still serves release 1, read for read.
        var second = await cluster.Api.CreateReleaseAsync(cluster.Environment, await cluster.ImportContentAsync(Skus, content: 2));
        var expected2 = await cluster.ExpectedAsync(second);
        var publication = await PublishInWavesAsync(cluster, second);
        await WaitStateAsync(cluster, publication, "Holding");
        await cluster.WaitPointersAsync(second, [east]);
        await cluster.AssertReadsAsync(east, expected2);
        await cluster.AssertReadsAsync(west, expected1);
        Assert.Equal(first, (await west.PointerAsync(cluster.Environment))!.Release);
        var view = await cluster.Api.EnvironmentAsync(cluster.Environment);
        Assert.Equal(first, view.LiveRelease?.Id);
        Assert.Equal(second, view.Agents.Single(a => a.Id == east.AgentId).LiveReleaseId);
        Assert.Equal(first, view.Agents.Single(a => a.Id == west.AgentId).LiveReleaseId);

        using (var promote = await cluster.ControlPlane.Client.PostAsync($"api/v1/releases/{second}/promote", null))
        {
            Assert.Equal(HttpStatusCode.OK, promote.StatusCode);
        }

        await cluster.Api.WaitLiveAsync(publication);
        await cluster.WaitPointersAsync(second);
        foreach (var agent in cluster.Agents)
        {
            await cluster.AssertReadsAsync(agent, expected2);
        }

        // Release 3 in two waves, aborted after the first: east goes back to release 2, west never moved.
        var third = await cluster.Api.CreateReleaseAsync(cluster.Environment, await cluster.ImportContentAsync(Skus, content: 3));
        var westPointer = await west.Redis.Database.StringGetAsync(RedisLayout.LiveKey(cluster.Environment));
        var aborted = await PublishInWavesAsync(cluster, third);
        await WaitStateAsync(cluster, aborted, "Holding");
        await cluster.WaitPointersAsync(third, [east]);
        await cluster.AssertReadsAsync(east, await cluster.ExpectedAsync(third));

        using (var abort = await cluster.ControlPlane.Client.PostAsJsonAsync($"api/v1/releases/{third}/abort", new { reason = "canary alarms" }, Http.Json))
        {
            Assert.Equal(HttpStatusCode.OK, abort.StatusCode);
        }

        var ended = await WaitStateAsync(cluster, aborted, "Aborted");
        Assert.Contains("canary alarms", ended.Reason, StringComparison.Ordinal);
        await cluster.WaitPointersAsync(second, [east]);
        foreach (var agent in cluster.Agents)
        {
            await cluster.AssertReadsAsync(agent, expected2);
        }

        Assert.Equal(westPointer, await west.Redis.Database.StringGetAsync(RedisLayout.LiveKey(cluster.Environment)));
        Assert.Equal(second, (await cluster.Api.EnvironmentAsync(cluster.Environment)).LiveRelease?.Id);
    }

    private static async Task<long> PublishInWavesAsync(Cluster cluster, long release)
    {
        using var response = await cluster.ControlPlane.Client.PostAsJsonAsync($"api/v1/releases/{release}/publish", new { waves = EastThenWest }, Http.Json);
        return (await Http.ReadAsync<PublicationDto>(response, HttpStatusCode.Accepted)).Id;
    }

    private static async Task<PublicationDto> WaitStateAsync(Cluster cluster, long publication, string state)
    {
        var read = await Eventually.ReadUntilAsync(
            () => cluster.Api.PublicationAsync(publication),
            p => p.State == state || p.State is "Failed" or "Partial" or "Live" or "Aborted",
            $"publication {publication} is {state}");
        Assert.True(read.State == state, $"Publication {publication} is {read.State}, expected {state}: {read.Reason}");
        return read;
    }
}
