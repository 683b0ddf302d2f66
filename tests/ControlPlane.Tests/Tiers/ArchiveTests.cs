using System.Text.Json;
using ControlPlane.Tests.Datasets;
using ControlPlane.Tests.Support;

namespace ControlPlane.Tests.Tiers;

/// <summary>
/// The archive job on the folder store: versions outside the warm window go cold, every read of them answers as it
/// did while they were warm, and the warm versions keep every row they need.
/// </summary>
public sealed class ArchiveTests(TiersFixture fixture) : TiersTest<TiersFixture>(fixture), IClassFixture<TiersFixture>
{
    // Code point order differs from UTF-16 order for these two: U+FF01 sorts before U+1F600 in PostgreSQL.
    private const string Fullwidth = "Z-\uFF01";
    private const string Emoji = "Z-\U0001F600";

    [Fact]
    public async Task Versions_leaving_warm_go_cold_and_read_exactly_as_before()
    {
        var history = await GeneratedPriceHistory.BuildAsync(Client, new Random(5));
        await Client.ImportAsync("price", Bodies.Lines(
            new PriceRecord(Fullwidth, 1.5m, "EUR").UpsertLine(), new PriceRecord(Emoji, 2.5m, "EUR").UpsertLine(),
            new PriceRecord("Z-~", 3.5m, "EUR").UpsertLine(), TestRecord.DeleteLine(history[3].Keys.First())), "mode=delta&base=4");
        await Client.ImportAsync("price", Bodies.Lines(new PriceRecord(Emoji, 9.5m, "EUR").UpsertLine(), TestRecord.DeleteLine("Z-~")), "mode=delta&base=5");
        await Client.ImportAsync("price", Bodies.Lines(TestRecord.DeleteLine(Fullwidth), new PriceRecord("Z-!", 4m, "USD").UpsertLine()), "mode=delta&base=6");
        int[] versions = [1, 2, 3, 4, 5, 6, 7];
        string[] probes = [history[0].Keys.First(), history[3].Keys.First(), Fullwidth, Emoji, "Z-~", "no-such-sku"];
        var before = await Client.SnapshotAsync("price", versions, [1, 3, 5, 7], probes);
        var rowsBefore = await Fixture.Database.CountRowsAsync("records_price");

        var run = await RunArchiveAsync();

        Assert.Equal(["price v1", "price v2", "price v3", "price v4", "price v5"], run.Archived.Order());
        Assert.Empty(run.Failed);
        foreach (var version in versions)
        {
            Assert.Equal(version <= 5 ? "cold" : "warm", await TierOfAsync("price", version));
        }

        var after = await Fixture.Client.SnapshotAsync("price", versions, [1, 3, 5, 7], probes);
        foreach (var (what, expected) in before)
        {
            Assert.True(expected == after[what], $"{what} differs after archiving");
        }

        // Rows only cold versions needed are gone; the warm versions' rows are all there (their reads above matched).
        var rowsAfter = await Fixture.Database.CountRowsAsync("records_price");
        Assert.True(rowsAfter < rowsBefore, $"rows {rowsBefore} -> {rowsAfter}");
        var needed = await Fixture.Database.ScalarAsync<long>(
            "SELECT count(*) FROM records_price WHERE from_version <= 7 AND (to_version IS NULL OR to_version > 6)");
        Assert.Equal(needed, rowsAfter);

        var tiers = await TiersOfAsync("price");
        var v1 = tiers.Version(1);
        Assert.Equal(("cold", 30), (v1.Tier, v1.ColdChunks));
        Assert.True(v1.ColdStoredBytes < v1.ColdRawBytes / 2, $"stored {v1.ColdStoredBytes} of {v1.ColdRawBytes} raw bytes");
        Assert.Null(v1.WarmBytesEstimate);
        Assert.Equal("done", Assert.Single(tiers.Tasks, t => t.Version == 1).State);
        Assert.Equal(3000, Assert.Single(tiers.Tasks, t => t.Version == 1).RecordsWritten);
        Assert.True(tiers.Version(7).InWarmWindow);

        // The archive on disk: the manifest names every chunk with its size and SHA-256.
        var manifestPath = Path.Combine(Fixture.ColdFolder, "price", "0000000001", "manifest.json");
        using var manifest = JsonDocument.Parse(await File.ReadAllBytesAsync(manifestPath));
        Assert.Equal(1, manifest.RootElement.GetProperty("format").GetInt32());
        Assert.Equal(3000, manifest.RootElement.GetProperty("records").GetInt64());
        Assert.Equal(30, manifest.RootElement.GetProperty("chunks").GetArrayLength());
        var chunk = manifest.RootElement.GetProperty("chunks")[0];
        var chunkBytes = await File.ReadAllBytesAsync(Path.Combine(Fixture.ColdFolder, chunk.GetProperty("key").GetString()!));
        Assert.Equal(chunk.GetProperty("sha256").GetString(), Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(chunkBytes)));

        // A second run finds nothing to do.
        var again = await RunArchiveAsync();
        Assert.Equal((0, 0), (again.Archived.Count, again.Failed.Count));
    }

    [Fact]
    public async Task A_new_version_after_archiving_builds_on_the_warm_rows_and_older_cold_versions_still_diff_against_it()
    {
        var history = await GeneratedPriceHistory.BuildAsync(Client, new Random(8));
        await RunArchiveAsync();
        Assert.Equal("cold", await TierOfAsync("price", 2));
        var sku = history[3].Keys.Order(StringComparer.Ordinal).First();
        await Client.ImportAsync("price", Bodies.Lines(new PriceRecord(sku, 777m, "EUR").UpsertLine()), "mode=delta&base=4");

        var diff = await Client.GetOkAsync<DiffPageDto>("/api/v1/datasets/price/diff?from=4&to=5");
        Assert.Equal((0, 1, 0), (diff.Added, diff.Changed, diff.Removed));
        var (coldDiff, items) = await Client.AllDiffAsync("price", 2, 5);
        var expected = Diff(history[1], history[3]);
        expected[sku] = history[1].ContainsKey(sku) ? "changed" : "added";
        Assert.Equal(expected.OrderBy(e => e.Key, StringComparer.Ordinal), items.Select(i => KeyValuePair.Create(i.Sku, i.Change)));
        Assert.Equal(expected.Count(e => e.Value == "added"), coldDiff.Added);
        Assert.Equal(expected.Count(e => e.Value == "removed"), coldDiff.Removed);
    }

    private static Dictionary<string, string> Diff(Dictionary<string, PriceRecord> from, Dictionary<string, PriceRecord> to)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (sku, record) in to)
        {
            if (!from.TryGetValue(sku, out var old))
            {
                result[sku] = "added";
            }
            else if (old.Canonical != record.Canonical)
            {
                result[sku] = "changed";
            }
        }

        foreach (var sku in from.Keys.Where(k => !to.ContainsKey(k)))
        {
            result[sku] = "removed";
        }

        return result;
    }
}
