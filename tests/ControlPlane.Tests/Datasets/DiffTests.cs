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
        var versions = await GeneratedPriceHistory.BuildAsync(Client, random);

        for (var from = 1; from <= versions.Count; from++)
        {
            for (var to = 1; to <= versions.Count; to++)
            {
                await AssertDiffAsync(versions, from, to, change: null);
            }
        }
    }

    [Fact]
    public async Task Every_version_of_a_generated_history_reads_back_as_it_was_imported()
    {
        var versions = await GeneratedPriceHistory.BuildAsync(Client, new Random(99));

        for (var v = 1; v <= versions.Count; v++)
        {
            var expected = versions[v - 1].Values.OrderBy(r => r.Sku, StringComparer.Ordinal).Select(r => r.Canonical).ToList();
            var version = await Client.GetOkAsync<VersionDto>($"/api/v1/datasets/price/versions/{v}");
            Assert.Equal(expected.Count, version.Records);
            Assert.Equal(ExpectedContentHash.Of(expected), version.ContentHash);
            Assert.Equal(expected, (await Client.AllRecordsAsync("price", v)).Select(r => ExpectedCanonicalJson.Of(r.Data)));
        }
    }

    [Theory]
    [InlineData("added")]
    [InlineData("changed")]
    [InlineData("removed")]
    public async Task Diff_with_a_change_filter_lists_only_that_kind_of_change(string change)
    {
        var versions = await GeneratedPriceHistory.BuildAsync(Client, new Random(77));

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

}
