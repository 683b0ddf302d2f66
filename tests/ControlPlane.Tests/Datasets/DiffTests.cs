using System.Net;
using ControlPlane.Tests.Support;

namespace ControlPlane.Tests.Datasets;

public sealed class DiffTests(ControlPlaneFixture fixture) : DatabaseTest(fixture), IClassFixture<ControlPlaneFixture>
{
    private sealed record ExpectedItem(string Sku, string Change, string? Before, string? After);

    [Fact]
    public async Task Diff_of_generated_versions_equals_the_difference_computed_in_memory_in_both_directions()
    {
        var random = new Random(20250314);
        var versions = await BuildHistoryAsync(random);

        for (var from = 1; from <= versions.Count; from++)
        {
            for (var to = 1; to <= versions.Count; to++)
            {
                await AssertDiffAsync(versions, from, to, change: null);
            }
        }
    }

    [Theory]
    [InlineData("added")]
    [InlineData("changed")]
    [InlineData("removed")]
    public async Task Diff_with_a_change_filter_lists_only_that_kind_of_change(string change)
    {
        var versions = await BuildHistoryAsync(new Random(77));

        await AssertDiffAsync(versions, 1, versions.Count, change);
        await AssertDiffAsync(versions, versions.Count, 1, change);
        await AssertDiffAsync(versions, 2, 3, change);
    }

    [Fact]
    public async Task Diff_of_a_version_with_itself_is_empty()
    {
        await Client.ImportAsync("stock", Bodies.Ndjson([new StockRecord("S-1", 1)]));

        var (page, items) = await Client.AllDiffAsync("stock", 1, 1);

        Assert.Equal((0L, 0L, 0L), (page.Added, page.Changed, page.Removed));
        Assert.Empty(items);
    }

    [Theory]
    [InlineData("from=1&to=3", HttpStatusCode.NotFound)]
    [InlineData("from=3&to=1", HttpStatusCode.NotFound)]
    [InlineData("to=1", HttpStatusCode.BadRequest)]
    [InlineData("from=1", HttpStatusCode.BadRequest)]
    [InlineData("from=1&to=1&change=moved", HttpStatusCode.BadRequest)]
    public async Task Diff_needs_two_existing_versions_and_a_known_change_kind(string query, HttpStatusCode status)
    {
        await Client.ImportAsync("stock", Bodies.Ndjson([new StockRecord("S-1", 1)]));

        using var response = await Client.GetAsync("/api/v1/datasets/stock/diff?" + query);

        await Problem.ReadAsync(response, status);
    }

    /// <summary>
    /// Four versions made of full imports and deltas, including SKUs removed and re-added with the same or other
    /// content and changes reverted to an older value. Returns the records of each version, as the test expects them.
    /// </summary>
    private async Task<List<Dictionary<string, PriceRecord>>> BuildHistoryAsync(Random random)
    {
        var versions = new List<Dictionary<string, PriceRecord>>();
        var current = Bodies.Prices(3000, "G-", seed: random.Next()).ToDictionary(r => r.Sku);
        await Client.ImportAsync("price", Bodies.Ndjson(current.Values));
        versions.Add(new(current));
        var nextNew = 1;
        PriceRecord NewRecord() => Bodies.RandomPrice($"{(random.Next(2) == 0 ? "A" : "H")}-{nextNew++:D5}", random);
        PriceRecord Changed(PriceRecord r) => r with { Amount = r.Amount + random.Next(1, 500) / 100m };

        // Version 2: a delta with changes, deletes, new SKUs and upserts that change nothing.
        var picks = Pick(random, current.Keys, 390);
        var changes = new List<string>();
        foreach (var sku in picks.Take(150))
        {
            current[sku] = Changed(current[sku]);
            changes.Add(current[sku].UpsertLine());
        }

        changes.AddRange(picks.Skip(150).Take(20).Select(sku => current[sku].UpsertLine()));
        foreach (var sku in picks.Skip(170).Take(100))
        {
            current.Remove(sku);
            changes.Add(TestRecord.DeleteLine(sku));
        }

        foreach (var record in Enumerable.Range(0, 120).Select(_ => NewRecord()))
        {
            current[record.Sku] = record;
            changes.Add(record.UpsertLine());
        }

        await Client.ImportAsync("price", Bodies.Lines(changes.OrderBy(_ => random.Next())), "mode=delta&base=1");
        versions.Add(new(current));

        // Version 3: a full snapshot that re-adds deleted SKUs (30 as they were, 20 changed), reverts 25 changes,
        // and changes, removes and adds others.
        var deletedInTwo = versions[0].Keys.Where(k => !current.ContainsKey(k)).ToList();
        foreach (var sku in deletedInTwo.Take(30))
        {
            current[sku] = versions[0][sku];
        }

        foreach (var sku in deletedInTwo.Skip(30).Take(20))
        {
            current[sku] = Changed(versions[0][sku]);
        }

        foreach (var sku in picks.Take(25))
        {
            current[sku] = versions[0][sku];
        }

        var others = Pick(random, current.Keys.Except(picks.Take(25)).Except(deletedInTwo), 300);
        foreach (var sku in others.Take(200))
        {
            current[sku] = Changed(current[sku]);
        }

        foreach (var sku in others.Skip(200))
        {
            current.Remove(sku);
        }

        foreach (var record in Enumerable.Range(0, 150).Select(_ => NewRecord()))
        {
            current[record.Sku] = record;
        }

        await Client.ImportAsync("price", Bodies.Ndjson(current.Values.OrderBy(_ => random.Next())));
        versions.Add(new(current));

        // Version 4: another delta.
        changes.Clear();
        var last = Pick(random, current.Keys, 180);
        foreach (var sku in last.Take(100))
        {
            current[sku] = Changed(current[sku]);
            changes.Add(current[sku].UpsertLine());
        }

        foreach (var sku in last.Skip(100))
        {
            current.Remove(sku);
            changes.Add(TestRecord.DeleteLine(sku));
        }

        foreach (var record in Enumerable.Range(0, 60).Select(_ => NewRecord()))
        {
            current[record.Sku] = record;
            changes.Add(record.UpsertLine());
        }

        await Client.ImportAsync("price", Bodies.Lines(changes), "mode=delta&base=3");
        versions.Add(new(current));
        return versions;
    }

    private async Task AssertDiffAsync(List<Dictionary<string, PriceRecord>> versions, int from, int to, string? change)
    {
        var expected = ExpectedDiff(versions[from - 1], versions[to - 1]);
        var (page, items) = await Client.AllDiffAsync("price", from, to, change, limit: 250);

        Assert.Equal((from, to), (page.From, page.To));
        if (change is null)
        {
            Assert.Equal(
                (expected.Count(e => e.Change == "added"), expected.Count(e => e.Change == "changed"), expected.Count(e => e.Change == "removed")),
                ((int)page.Added, (int)page.Changed, (int)page.Removed));
        }

        var actual = items.Select(i => new ExpectedItem(
            i.Sku,
            i.Change,
            i.Before is { } before ? ExpectedCanonicalJson.Of(before) : null,
            i.After is { } after ? ExpectedCanonicalJson.Of(after) : null));
        Assert.Equal(expected.Where(e => change is null || e.Change == change), actual);
    }

    private static List<ExpectedItem> ExpectedDiff(Dictionary<string, PriceRecord> from, Dictionary<string, PriceRecord> to) =>
    [
        .. from.Keys.Union(to.Keys).Order(StringComparer.Ordinal).Select(sku => (from.GetValueOrDefault(sku)?.Canonical, to.GetValueOrDefault(sku)?.Canonical) switch
        {
            (null, var after) => new ExpectedItem(sku, "added", null, after),
            (var before, null) => new ExpectedItem(sku, "removed", before, null),
            (var before, var after) when before != after => new ExpectedItem(sku, "changed", before, after),
            _ => null,
        }).OfType<ExpectedItem>(),
    ];

    private static List<string> Pick(Random random, IEnumerable<string> skus, int count) =>
        [.. skus.Order(StringComparer.Ordinal).OrderBy(_ => random.Next()).Take(count)];
}
