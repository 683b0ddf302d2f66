using ControlPlane.Contracts;
using EndToEnd.Tests.Support;
using StackExchange.Redis;
using Xunit.Abstractions;

namespace EndToEnd.Tests;

/// <summary>Agents, Redis and the control plane failing in the middle of a publication, and what comes of it.</summary>
public sealed class CrashTests(ITestOutputHelper output)
{
    private const int Skus = 3000;

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task An_agent_killed_mid_staging_resumes_its_layer_after_a_restart_and_the_release_goes_live(bool overlay)
    {
        // Chunks of 100 records: staging a dataset takes 30 chunks, and the agent dies after 5 of them; either while it
        // writes a first layer (every record) or an overlay on the layers of a live release (the changes since).
        await using var cluster = await Cluster.StartAsync(output, overlay ? "crash-overlay" : "crash-agent", new ClusterOptions { ChunkSize = 100 });
        if (overlay)
        {
            await cluster.PublishLiveAsync(await cluster.ImportContentAsync(Skus, content: 1));
        }

        var release = await cluster.Api.CreateReleaseAsync(cluster.Environment, await cluster.ImportContentAsync(Skus, content: 2));
        var east = cluster.Agent("east");
        east.RunningHost.Transport.HoldChunksAfter(5);

        var publication = await cluster.Api.PublishAsync(release);
        await Eventually.UntilAsync(() => east.RunningHost.Transport.Held > 0, "east waits for its sixth chunk");
        await cluster.KillAgentAsync(east);

        // The layer it was writing is in its Redis, part-written, with the cursor to resume from.
        var staging = await StagingAsync(east, cluster.Environment);
        Assert.True(staging.TryGetValue("cursor", out var cursor) && cursor.Length > 0, "the staging cursor moved");
        Assert.Equal("writing", staging["state"]);
        Assert.Equal(overlay, staging["base"].Length > 0);
        var layerField = $"{staging["dataset"]}:{staging["layer"]}";
        Assert.Equal("Staging", (await cluster.Api.PublicationAsync(publication.Id)).State);

        await cluster.StartAgentAsync(east);
        await cluster.Api.WaitLiveAsync(publication.Id);
        await cluster.WaitPointersAsync(release);

        // It finished that very layer rather than abandoning it and starting over.
        Assert.True(await east.Redis.Database.HashExistsAsync(RedisLayout.LayersKey(cluster.Environment), layerField), $"layer {layerField} was completed");
        Assert.True(cluster.Log.Contains(east.AgentId, "(resumed: True)"), "the restarted agent logged that it resumed");
        var expected = await cluster.ExpectedAsync(release);
        foreach (var agent in cluster.Agents)
        {
            await cluster.AssertReadsAsync(agent, expected);
        }
    }

    [Theory]
    [InlineData("flushall")]
    [InlineData("restart")]
    public async Task An_agent_whose_redis_lost_its_data_stages_the_live_release_again(string how)
    {
        await using var cluster = await Cluster.StartAsync(output, "crash-redis");
        var (release, publication) = await cluster.PublishLiveAsync(await cluster.ImportContentAsync(Skus, content: 1));
        var east = cluster.Agent("east");

        // FLUSHALL empties the keys; a restart without persistence also loses the function library and the script
        // cache, and drops every connection.
        if (how == "restart")
        {
            await east.Redis.RestartAsync();
        }
        else
        {
            await east.Redis.Database.ExecuteAsync("FLUSHALL");
        }

        Assert.Null(await east.PointerAsync(cluster.Environment));

        await cluster.WaitPointersAsync(release, [east]);
        var pointer = (await east.PointerAsync(cluster.Environment))!;
        Assert.Equal(publication.Generation, pointer.Generation);
        Assert.True(cluster.Log.Contains(east.AgentId, "Redis lost its data"), "the agent noticed that Redis lost its data");
        await Eventually.ReadUntilAsync(
            () => cluster.Api.EnvironmentAsync(cluster.Environment),
            view => view.Agents.Single(a => a.Id == east.AgentId) is { RedisDataLost: false, Status: "ok" } agent && agent.HeldReleases.Contains(release),
            "east reports that it holds the live release again");

        var expected = await cluster.ExpectedAsync(release);
        foreach (var agent in cluster.Agents)
        {
            await cluster.AssertReadsAsync(agent, expected);
        }

        // Nothing changed for the control plane: the same publication is live.
        Assert.Equal("Live", (await cluster.Api.PublicationAsync(publication.Id)).State);
    }

    [Fact]
    public async Task A_control_plane_restarted_mid_publication_completes_it()
    {
        await using var cluster = await Cluster.StartAsync(output, "crash-cp", new ClusterOptions { ChunkSize = 100 });
        var (first, _) = await cluster.PublishLiveAsync(await cluster.ImportContentAsync(Skus, content: 1));
        var second = await cluster.Api.CreateReleaseAsync(cluster.Environment, await cluster.ImportContentAsync(Skus, content: 2));
        foreach (var agent in cluster.Agents)
        {
            agent.RunningHost.Transport.HoldChunksAfter(2);
        }

        var publication = await cluster.Api.PublishAsync(second);
        await Eventually.UntilAsync(() => cluster.Agents.All(a => a.RunningHost.Transport.Held > 0), "every agent is mid-staging");

        // Down long enough that every agent fails against it: reports, and the next chunk of its staging.
        await cluster.StopControlPlaneAsync();
        var failedReports = cluster.Agents.ToDictionary(a => a.AgentId, a => cluster.Log.Count(a.AgentId, "Report to the control plane failed"));
        foreach (var agent in cluster.Agents)
        {
            agent.RunningHost.Transport.Release();
        }

        await Eventually.UntilAsync(
            () => cluster.Agents.All(a => cluster.Log.Count(a.AgentId, "Report to the control plane failed") > failedReports[a.AgentId]
                && cluster.Log.Contains(a.AgentId, "Agent step failed")),
            "every agent found the control plane gone");
        await cluster.StartControlPlaneAgainAsync();

        await cluster.Api.WaitLiveAsync(publication.Id);
        await cluster.WaitPointersAsync(second);
        var expected = await cluster.ExpectedAsync(second);
        foreach (var agent in cluster.Agents)
        {
            await cluster.AssertReadsAsync(agent, expected);
        }

        Assert.Equal("Superseded", (await cluster.Api.ReleaseAsync(first)).State);
    }

    [Fact]
    public async Task A_stopping_control_plane_answers_the_long_polls_it_holds()
    {
        // The longest wait there is: a stop that waited for the polls would be cut off by the host's shutdown timeout.
        await using var cluster = await Cluster.StartAsync(output, "crash-cp-stop", new ClusterOptions
        {
            Settings = new Dictionary<string, string?> { ["Agents:LongPollSeconds"] = "300" },
        });
        var (release, _) = await cluster.PublishLiveAsync(await cluster.ImportContentAsync(100, content: 1));
        await Eventually.UntilAsync(() => cluster.ControlPlane.LongPollsHeld == cluster.Agents.Count, "every agent's long poll is held");
        var answers = cluster.Agents.ToDictionary(a => a.AgentId, a => a.RunningHost.Transport.DesiredAnswers);

        await cluster.StopControlPlaneAsync();

        // Each agent got an answer to its poll rather than a connection cut off when the server gave up waiting.
        Assert.All(cluster.Agents, a => Assert.True(a.RunningHost.Transport.DesiredAnswers > answers[a.AgentId], $"{a.AgentId}'s long poll was answered"));
        await cluster.StartControlPlaneAgainAsync();
        var next = await cluster.Api.PublishAsync(await cluster.Api.CreateReleaseAsync(cluster.Environment, await cluster.ImportContentAsync(100, content: 2)));
        await cluster.Api.WaitLiveAsync(next.Id);
        await cluster.WaitPointersAsync(next.ReleaseId);
        Assert.NotEqual(release, next.ReleaseId);
    }

    [Fact]
    public async Task A_publication_fails_when_an_agent_never_comes_back_and_readers_keep_the_old_release()
    {
        await using var cluster = await Cluster.StartAsync(output, "crash-gone", new ClusterOptions
        {
            ChunkSize = 100,
            Settings = new Dictionary<string, string?> { ["Publish:StageTimeout"] = "00:00:08" },
        });
        var (first, firstPublication) = await cluster.PublishLiveAsync(await cluster.ImportContentAsync(1000, content: 1));
        var second = await cluster.Api.CreateReleaseAsync(cluster.Environment, await cluster.ImportContentAsync(1000, content: 2));
        var (east, west) = (cluster.Agent("east"), cluster.Agent("west"));
        west.RunningHost.Transport.HoldChunksAfter(1);

        var publication = await cluster.Api.PublishAsync(second);
        await Eventually.UntilAsync(() => west.RunningHost.Transport.Held > 0, "west is mid-staging");
        await cluster.KillAgentAsync(west);

        var failed = await cluster.Api.WaitEndedAsync(publication.Id);
        Assert.Equal("Failed", failed.State);
        Assert.Contains(west.AgentId, failed.Reason, StringComparison.Ordinal);
        Assert.DoesNotContain(east.AgentId, failed.Reason, StringComparison.Ordinal);

        // Nothing was switched anywhere: readers see the first release, at its generation.
        var view = await cluster.Api.EnvironmentAsync(cluster.Environment);
        Assert.Equal(first, view.LiveRelease?.Id);
        Assert.Equal("Live", (await cluster.Api.PublicationAsync(firstPublication.Id)).State);
        var expected = await cluster.ExpectedAsync(first);
        foreach (var agent in cluster.Agents)
        {
            var pointer = await agent.PointerAsync(cluster.Environment);
            Assert.Equal(first, pointer?.Release);
            Assert.Equal(firstPublication.Generation, pointer?.Generation);
        }

        await cluster.AssertReadsAsync(east, expected);

        // West stays gone: once it is stale it is left out, and publishing again goes live on east alone.
        await Eventually.ReadUntilAsync(
            () => cluster.Api.EnvironmentAsync(cluster.Environment),
            v => v.Agents.Single(a => a.Id == west.AgentId).Status == "stale",
            "west is shown as stale");
        var again = await cluster.Api.PublishAsync(second);
        Assert.Equal([east.AgentId], again.Agents.Select(a => a.AgentId));
        await cluster.Api.WaitLiveAsync(again.Id);
        await cluster.WaitPointersAsync(second, [east]);
        Assert.Equal(first, (await west.PointerAsync(cluster.Environment))?.Release);
        var expectedSecond = await cluster.ExpectedAsync(second);
        await cluster.AssertReadsAsync(east, expectedSecond);

        // Should it come back after all, it converges to what is live without being part of any publication.
        await cluster.StartAgentAsync(west);
        await cluster.WaitPointersAsync(second, [west]);
        await cluster.AssertReadsAsync(west, expectedSecond);
    }

    [Fact]
    public async Task A_publication_whose_agent_misses_the_switch_order_is_partial_until_the_agent_switches()
    {
        await using var cluster = await Cluster.StartAsync(output, "crash-partial", new ClusterOptions
        {
            Settings = new Dictionary<string, string?> { ["Publish:SwitchTimeout"] = "00:00:03" },
        });
        var (first, _) = await cluster.PublishLiveAsync(await cluster.ImportContentAsync(1000, content: 1));
        var second = await cluster.Api.CreateReleaseAsync(cluster.Environment, await cluster.ImportContentAsync(1000, content: 2));
        var (east, west) = (cluster.Agent("east"), cluster.Agent("west"));

        // West stages and reports as usual, but the order to switch never reaches it.
        west.RunningHost.Transport.HoldDesiredWhere(json => json.Contains($"\"live\":{{\"releaseId\":{second},", StringComparison.Ordinal));
        var publication = await cluster.Api.PublishAsync(second);
        var partial = await cluster.Api.WaitEndedAsync(publication.Id);
        Assert.Equal("Partial", partial.State);
        Assert.Contains(west.AgentId, partial.Reason, StringComparison.Ordinal);
        Assert.DoesNotContain(east.AgentId, partial.Reason, StringComparison.Ordinal);
        Assert.True(west.RunningHost.Transport.HeldDesired > 0, "west's switch order is held");
        Assert.Equal(second, (await east.PointerAsync(cluster.Environment))?.Release);
        Assert.Equal(first, (await west.PointerAsync(cluster.Environment))?.Release);
        var view = await cluster.Api.EnvironmentAsync(cluster.Environment);
        Assert.Equal(publication.Id, view.Partial?.Id);

        // Once the order gets through, west switches and the publication completes.
        west.RunningHost.Transport.ReleaseDesired();
        await Eventually.ReadUntilAsync(() => cluster.Api.PublicationAsync(publication.Id), p => p.State == "Live", $"publication {publication.Id} goes live");
        await cluster.WaitPointersAsync(second);
        var expected = await cluster.ExpectedAsync(second);
        foreach (var agent in cluster.Agents)
        {
            await cluster.AssertReadsAsync(agent, expected);
        }

        Assert.Equal(second, (await cluster.Api.EnvironmentAsync(cluster.Environment)).LiveRelease?.Id);
    }

    private static async Task<Dictionary<string, string>> StagingAsync(AgentNode agent, string environment) =>
        (await agent.Redis.Database.HashGetAllAsync(RedisLayout.StagingKey(environment))).ToDictionary(e => (string)e.Name!, e => (string)e.Value!);
}
