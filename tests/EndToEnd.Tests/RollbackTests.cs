using ControlPlane.Contracts;
using EndToEnd.Tests.Support;
using Xunit.Abstractions;

namespace EndToEnd.Tests;

/// <summary>Rolling back through the real control plane: a pointer flip while the release is hot, staging again when not.</summary>
public sealed class RollbackTests(ITestOutputHelper output)
{
    private const int Skus = 2000;
    private static readonly string[] SwitchingOrLive = ["Switching", "Live"];
    private static readonly string[] StagedOrSwitched = ["Staged", "Switched"];

    [Fact]
    public async Task Rolling_back_to_hot_releases_flips_the_pointer_without_staging()
    {
        await using var cluster = await Cluster.StartAsync(output, "rollback-hot");
        var releases = new List<long>();
        for (var content = 1; content <= 3; content++)
        {
            releases.Add((await cluster.PublishLiveAsync(await cluster.ImportContentAsync(Skus, content))).Release);
        }

        var (r1, r2, r3) = (releases[0], releases[1], releases[2]);
        var expected2 = await cluster.ExpectedAsync(r2);
        var expected1 = await cluster.ExpectedAsync(r1);

        // To the release live before the current one (r2), then to an older one by id (r1).
        foreach (var (target, toRelease, expected) in new[] { (r2, (long?)null, expected2), (r1, r1, expected1) })
        {
            await WaitHotAsync(cluster, target);
            var sequences = await LayerSequencesAsync(cluster);
            var started = await cluster.Api.RollbackAsync(cluster.Environment, toRelease);
            Assert.Equal("rollback", started.Kind);
            Assert.Equal(target, started.ReleaseId);

            // Every agent held it: the publication passed the barrier when it was created, nothing was staged.
            Assert.Contains(started.State, SwitchingOrLive);
            Assert.Equal(started.RequestedAt, started.StagedAt);
            Assert.All(started.Agents, a => Assert.Contains(a.Phase, StagedOrSwitched));

            var live = await cluster.Api.WaitLiveAsync(started.Id);
            Assert.Equal(live.RequestedAt, live.StagedAt);
            await cluster.WaitPointersAsync(target);
            foreach (var agent in cluster.Agents)
            {
                await cluster.AssertReadsAsync(agent, expected);
            }

            // No layer was begun anywhere: the sequence of layer numbers did not move.
            Assert.Equal(sequences, await LayerSequencesAsync(cluster));
        }

        Assert.NotEqual(r3, (await cluster.Api.EnvironmentAsync(cluster.Environment)).LiveRelease?.Id);
    }

    [Fact]
    public async Task Rolling_back_to_a_release_no_longer_held_stages_it_again()
    {
        // No hot releases besides the live one: a rollback has to bring the data back.
        await using var cluster = await Cluster.StartAsync(output, "rollback-cold", new ClusterOptions
        {
            Settings = new Dictionary<string, string?> { ["Agents:HotRetention"] = "0" },
        });
        var (r1, _) = await cluster.PublishLiveAsync(await cluster.ImportContentAsync(Skus, content: 1));
        var (r2, _) = await cluster.PublishLiveAsync(await cluster.ImportContentAsync(Skus, content: 2));
        await Eventually.ReadUntilAsync(
            () => cluster.Api.EnvironmentAsync(cluster.Environment),
            view => view.Agents.All(a => a.HeldReleases.SequenceEqual([r2])),
            $"every agent holds only release {r2}");

        var started = await cluster.Api.RollbackAsync(cluster.Environment, r1);
        Assert.Equal("Staging", started.State);
        Assert.All(started.Agents, a => Assert.Equal("Waiting", a.Phase));
        await cluster.Api.WaitLiveAsync(started.Id);
        await cluster.WaitPointersAsync(r1);
        var expected1 = await cluster.ExpectedAsync(r1);
        foreach (var agent in cluster.Agents)
        {
            await cluster.AssertReadsAsync(agent, expected1);
        }

        // And back to the release before it, which is no longer held either.
        var back = await cluster.Api.RollbackAsync(cluster.Environment);
        Assert.Equal(r2, back.ReleaseId);
        await cluster.Api.WaitLiveAsync(back.Id);
        await cluster.WaitPointersAsync(r2);
        var expected2 = await cluster.ExpectedAsync(r2);
        foreach (var agent in cluster.Agents)
        {
            await cluster.AssertReadsAsync(agent, expected2);
        }
    }

    private static Task<EnvironmentViewDto> WaitHotAsync(Cluster cluster, long release) =>
        Eventually.ReadUntilAsync(
            () => cluster.Api.EnvironmentAsync(cluster.Environment),
            view => view.HotReleases.Contains(release) && view.Agents.All(a => a.HeldReleases.Contains(release)),
            $"release {release} is hot on every agent");

    private static async Task<List<string?>> LayerSequencesAsync(Cluster cluster)
    {
        var sequences = new List<string?>();
        foreach (var agent in cluster.Agents)
        {
            sequences.Add(await agent.Redis.Database.StringGetAsync($"cp:{cluster.Environment}:agent:layer-seq"));
        }

        return sequences;
    }
}
