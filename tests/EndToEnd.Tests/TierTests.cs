using System.Net;
using System.Text.Json;
using ControlPlane.Tests.Support;
using EndToEnd.Tests.Support;
using Xunit.Abstractions;

namespace EndToEnd.Tests;

/// <summary>
/// Releases whose versions went to cold storage, rolled back to through real agents and Redis: the data streams back
/// from the archive; a damaged chunk stops the rollback before anything is staged.
/// </summary>
public sealed class TierTests(ITestOutputHelper output)
{
    private const int Skus = 1500;

    [Fact]
    public async Task Rolling_back_to_an_archived_release_stages_it_from_cold_and_a_damaged_chunk_stops_it_first()
    {
        var coldFolder = Path.Combine(Path.GetTempPath(), "cp-e2e-cold-" + Guid.NewGuid().ToString("N")[..8]);
        try
        {
            await RollBackFromColdAsync(coldFolder);
        }
        finally
        {
            // Passed or failed, the cold store's folder does not stay behind in /tmp.
            if (Directory.Exists(coldFolder))
            {
                Directory.Delete(coldFolder, recursive: true);
            }
        }
    }

    private async Task RollBackFromColdAsync(string coldFolder)
    {
        await using var cluster = await Cluster.StartAsync(output, "tiers", new ClusterOptions
        {
            ChunkSize = 400,
            Settings = new Dictionary<string, string?>
            {
                ["Agents:HotRetention"] = "0",
                ["Tiers:ArchiveEnabled"] = "false",
                ["Tiers:Folder"] = coldFolder,
                ["Tiers:ChunkRecords"] = "500",
                ["Tiers:Defaults:WarmDays"] = "0",
                ["Tiers:Defaults:WarmVersions"] = "1",
            },
        });
        var (r1, _) = await cluster.PublishLiveAsync(await cluster.ImportContentAsync(Skus, content: 1, odd: true));
        var expected1 = await cluster.ExpectedAsync(r1);
        await cluster.PublishLiveAsync(await cluster.ImportContentAsync(Skus, content: 2));
        var (r3, _) = await cluster.PublishLiveAsync(await cluster.ImportContentAsync(Skus, content: 3));
        var expected3 = await cluster.ExpectedAsync(r3);
        await Eventually.ReadUntilAsync(
            () => cluster.Api.EnvironmentAsync(cluster.Environment),
            view => view.Agents.All(a => a.HeldReleases.SequenceEqual([r3])),
            $"every agent holds only release {r3}");

        using (var run = await cluster.ControlPlane.Client.PostAsync("api/v1/tiers/archive/run", null))
        {
            var body = await run.Content.ReadAsStringAsync();
            Assert.True(run.StatusCode == HttpStatusCode.OK, body);
            Assert.Equal(6, JsonDocument.Parse(body).RootElement.GetProperty("archived").GetArrayLength());
        }

        foreach (var (dataset, version) in (await cluster.Api.ReleaseAsync(r1)).Release.Versions)
        {
            using var view = JsonDocument.Parse(await cluster.ControlPlane.Client.GetStringAsync($"api/v1/datasets/{dataset}/versions/{version}"));
            Assert.Equal("cold", view.RootElement.GetProperty("tier").GetString());
        }

        // A damaged chunk: the rollback is refused naming it, nothing is staged, readers keep release 3.
        var chunk = Path.Combine(coldFolder, "price", "0000000001", "chunk-000002.tsv.gz");
        var original = await File.ReadAllBytesAsync(chunk);
        var damaged = (byte[])original.Clone();
        damaged[damaged.Length / 3] ^= 0xFF;
        await File.WriteAllBytesAsync(chunk, damaged);
        using (var refused = await cluster.Api.PostRollbackAsync(cluster.Environment, r1))
        {
            var body = await refused.Content.ReadAsStringAsync();
            Assert.True(refused.StatusCode == HttpStatusCode.Conflict, body);
            using var problem = JsonDocument.Parse(body);
            Assert.Equal(("price", 1, 2), (problem.RootElement.GetProperty("dataset").GetString(),
                problem.RootElement.GetProperty("version").GetInt32(), problem.RootElement.GetProperty("chunk").GetInt32()));
        }

        var environment = await cluster.Api.EnvironmentAsync(cluster.Environment);
        Assert.Null(environment.InFlight);
        Assert.Equal(r3, environment.LiveRelease?.Id);
        foreach (var agent in cluster.Agents)
        {
            await cluster.AssertReadsAsync(agent, expected3);
        }

        // The chunk restored: the rollback streams release 1 back from cold into every agent.
        await File.WriteAllBytesAsync(chunk, original);
        var started = await cluster.Api.RollbackAsync(cluster.Environment, r1);
        Assert.Equal("Staging", started.State);
        await cluster.Api.WaitLiveAsync(started.Id);
        await cluster.WaitPointersAsync(r1);
        foreach (var agent in cluster.Agents)
        {
            await cluster.AssertReadsAsync(agent, expected1);
        }

    }
}
