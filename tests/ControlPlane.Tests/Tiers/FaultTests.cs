using System.Net;
using ControlPlane.Tests.Datasets;
using ControlPlane.Tests.Releases;
using ControlPlane.Tests.Support;
using ControlPlane.Tiers;
using Microsoft.Extensions.DependencyInjection;

namespace ControlPlane.Tests.Tiers;

/// <summary>
/// Faults of the archive: cold storage down, a crash between writing and removing, a read-back that does not match,
/// a damaged chunk met by a reader or a publish. Each leaves the version whole in one tier.
/// </summary>
public sealed class FaultTests(TiersFixture fixture) : TiersTest<TiersFixture>(fixture), IClassFixture<TiersFixture>
{
    [Fact]
    public async Task Cold_storage_down_removes_nothing_records_the_failure_and_retries_with_backoff()
    {
        await ThreeVersionsAsync();
        var rows = await Fixture.Database.CountRowsAsync("records_price");
        var blocked = Path.Combine(Path.GetTempPath(), "cp-blocked-" + Guid.NewGuid().ToString("N")[..8]);
        await File.WriteAllTextAsync(blocked, "a file where the store's folder should be");
        var down = Fixture.JobWith(new FolderColdStore(Path.Combine(blocked, "cold")));

        var first = await down.RunOnceAsync(CancellationToken.None);

        Assert.Equal("price v1", Assert.Single(first.Failed).Split(':')[0]);
        Assert.Equal("warm", await TierOfAsync("price", 1));
        Assert.Equal(rows, await Fixture.Database.CountRowsAsync("records_price"));
        var overview = await Client.GetOkAsync<TiersOverviewDto>("/api/v1/tiers");
        var failure = Assert.Single(overview.ArchiveJob.Failures);
        Assert.Equal(("price", 1, "retrying", 1), (failure.Dataset, failure.Version, failure.State, failure.Attempts));
        Assert.Contains("failed on 'price/0000000001/chunk-000000", failure.LastError, StringComparison.Ordinal);
        Assert.Equal(FixedTimeProvider.Default.AddMinutes(1), failure.NextAttemptAt);

        // Before the backoff has passed nothing is tried; after it, the next attempt waits twice as long.
        Assert.Empty((await down.RunOnceAsync(CancellationToken.None)).Failed);
        Fixture.Clock.Advance(TimeSpan.FromMinutes(1));
        Assert.Single((await down.RunOnceAsync(CancellationToken.None)).Failed);
        var retried = Assert.Single((await TiersOfAsync("price")).Tasks);
        Assert.Equal((2, FixedTimeProvider.Default.AddMinutes(3)), (retried.Attempts, retried.NextAttemptAt));

        // Storage back: the same task completes.
        Fixture.Clock.Advance(TimeSpan.FromMinutes(2));
        Assert.Equal(["price v1"], (await RunArchiveAsync()).Archived);
        Assert.Equal("cold", await TierOfAsync("price", 1));
        Assert.Empty((await Client.GetOkAsync<TiersOverviewDto>("/api/v1/tiers")).ArchiveJob.Failures);
        File.Delete(blocked);
    }

    [Fact]
    public async Task A_crash_before_the_manifest_or_a_read_back_that_differs_leaves_the_version_warm_and_whole()
    {
        var expected = await ThreeVersionsAsync();
        var rows = await Fixture.Database.CountRowsAsync("records_price");
        var store = new FolderColdStore(Fixture.ColdFolder);

        // Dies when it comes to the manifest: the chunks are written, the archive does not exist.
        var crashing = Fixture.JobWith(new FaultyStore(store) { FailPut = key => key.EndsWith("manifest.json", StringComparison.Ordinal) });
        Assert.Single((await crashing.RunOnceAsync(CancellationToken.None)).Failed);
        Assert.True(Directory.EnumerateFiles(Path.Combine(Fixture.ColdFolder, "price", "0000000001")).Any());
        Assert.False(File.Exists(Path.Combine(Fixture.ColdFolder, "price", "0000000001", "manifest.json")));
        await AssertWarmAndWholeAsync(expected, rows);

        // Reads back a chunk other than it wrote (its checksum still matching its bytes would not help: the manifest's does not).
        Fixture.Clock.Advance(TimeSpan.FromHours(1));
        var lying = Fixture.JobWith(new FaultyStore(store) { Corrupt = key => key.EndsWith("chunk-000000.tsv.gz", StringComparison.Ordinal) });
        var failed = Assert.Single((await lying.RunOnceAsync(CancellationToken.None)).Failed);
        Assert.Contains("chunk 0", failed, StringComparison.Ordinal);
        Assert.Contains("fails its checksum", failed, StringComparison.Ordinal);
        await AssertWarmAndWholeAsync(expected, rows);

        Fixture.Clock.Advance(TimeSpan.FromHours(1));
        Assert.Equal(["price v1"], (await RunArchiveAsync()).Archived);
        Assert.Equal(expected, await RecordsAsync(1));
    }

    [Fact]
    public async Task A_damaged_cold_chunk_is_reported_with_version_and_chunk_and_a_publish_of_it_stages_nothing()
    {
        var expected = await ThreeVersionsAsync();
        Assert.Equal(["price v1"], (await RunArchiveAsync()).Archived);
        Assert.Equal(expected, await RecordsAsync(1));
        var chunk = Path.Combine(Fixture.ColdFolder, "price", "0000000001", "chunk-000001.tsv.gz");
        var bytes = await File.ReadAllBytesAsync(chunk);
        bytes[bytes.Length / 2] ^= 0x5A;
        await File.WriteAllBytesAsync(chunk, bytes);
        Fixture.Factory.Services.GetRequiredService<ColdArchive>().ForgetAll();

        // Records in chunk 0 still read; the page reaching chunk 1 is refused whole.
        using (var read = await Client.GetAsync("/api/v1/datasets/price/versions/1/records?limit=1000"))
        {
            var problem = await Problem.ReadAsync(read, HttpStatusCode.Conflict);
            Assert.Equal("Cold archive damaged", problem.Title);
            Assert.Equal(("price", 1, 1), (problem.Raw.GetProperty("dataset").GetString(), problem.Raw.GetProperty("version").GetInt32(), problem.Raw.GetProperty("chunk").GetInt32()));
            Assert.Contains("chunk 1 (price/0000000001/chunk-000001.tsv.gz) fails its checksum", problem.Detail, StringComparison.Ordinal);
        }

        using (var changes = await Client.GetAsync("/api/v1/datasets/price/versions/1/changes?since=3&limit=50000"))
        {
            await Problem.ReadAsync(changes, HttpStatusCode.Conflict);
        }

        // A publish names the damaged chunk before any agent is asked to stage anything.
        var environment = await Client.NewEnvironmentAsync("g");
        var agent = await TestAgent.RegisterAsync(Client, environment + "-a", environment, "g");
        await agent.ReportAsync();
        var release = await Client.CreateReleaseAsync(environment, new() { ["price"] = 1 });
        using (var publish = await Client.PostPublishAsync(release))
        {
            var problem = await Problem.ReadAsync(publish, HttpStatusCode.Conflict);
            Assert.Contains("price version 1", problem.Detail, StringComparison.Ordinal);
            Assert.Equal(1, problem.Raw.GetProperty("chunk").GetInt32());
        }

        Assert.Equal(("Pending", null), ((await Client.ReleaseAsync(release)).State, (await Client.ReleaseAsync(release)).Publication));
        Assert.Empty((await agent.DesiredAsync()).Hold);

        // A missing chunk likewise.
        File.Delete(chunk);
        Fixture.Factory.Services.GetRequiredService<ColdArchive>().ForgetAll();
        using (var publish = await Client.PostPublishAsync(release))
        {
            Assert.Contains("chunk 1 (price/0000000001/chunk-000001.tsv.gz) is missing", (await Problem.ReadAsync(publish, HttpStatusCode.Conflict)).Detail, StringComparison.Ordinal);
        }
    }

    /// <summary>Three versions of 250 prices; the warm window (two) leaves v1 to archive. Returns v1's records.</summary>
    private async Task<List<string>> ThreeVersionsAsync()
    {
        for (var v = 1; v <= 3; v++)
        {
            await Client.ImportAsync("price", Bodies.Ndjson(Bodies.Prices(250, seed: v)));
        }

        return await RecordsAsync(1);
    }

    private async Task<List<string>> RecordsAsync(int version) =>
        [.. (await Client.AllRecordsAsync("price", version)).Select(r => r.Sku + " " + r.Data.GetRawText())];

    private async Task AssertWarmAndWholeAsync(List<string> expected, long rows)
    {
        Assert.Equal("warm", await TierOfAsync("price", 1));
        Assert.Equal(rows, await Fixture.Database.CountRowsAsync("records_price"));
        Assert.Equal(expected, await RecordsAsync(1));
    }

    /// <summary>A store that fails or corrupts chosen objects, as a crash or a bad disk would.</summary>
    private sealed class FaultyStore(IColdStore inner) : IColdStore
    {
        public Func<string, bool> FailPut { get; init; } = _ => false;

        public Func<string, bool> Corrupt { get; init; } = _ => false;

        public string Name => inner.Name;

        public Task PutAsync(string key, ReadOnlyMemory<byte> content, CancellationToken cancellationToken) =>
            FailPut(key) ? throw new IOException("the process died here") : inner.PutAsync(key, content, cancellationToken);

        public async Task<byte[]?> GetAsync(string key, CancellationToken cancellationToken)
        {
            var bytes = await inner.GetAsync(key, cancellationToken);
            if (bytes is not null && Corrupt(key))
            {
                bytes[^5] ^= 0x01;
            }

            return bytes;
        }

        public Task DeleteAsync(string key, CancellationToken cancellationToken) => inner.DeleteAsync(key, cancellationToken);
    }
}
