using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using ControlPlane.Contracts;
using ControlPlane.Tests.Datasets;
using ControlPlane.Tests.Support;

namespace ControlPlane.Tests.Agents;

/// <summary>
/// GET /api/v1/datasets/{d}/versions/{v}/changes, what agents stage from: NDJSON chunks sorted by SKU, each with the
/// SHA-256 of its bytes and the percent-encoded cursor of the next. Checked against versions kept in memory.
/// </summary>
public sealed class ChangesTests(ControlPlaneFixture fixture) : DatabaseTest(fixture), IClassFixture<ControlPlaneFixture>
{
    /// <summary>A line as the test expects it: the record's canonical JSON, or null for a deletion.</summary>
    private sealed record Line(string Sku, string? Data);

    [Fact]
    public async Task Without_since_every_record_of_the_version_is_listed_in_canonical_form_sorted_by_SKU()
    {
        var versions = await GeneratedPriceHistory.BuildAsync(Client, new Random(314));

        for (var v = 1; v <= versions.Count; v++)
        {
            var expected = versions[v - 1].Values.OrderBy(r => r.Sku, StringComparer.Ordinal).Select(r => new Line(r.Sku, r.Canonical)).ToList();
            Assert.Equal(expected, await AllChangesAsync("price", v, since: null, limit: 700));
        }
    }

    [Fact]
    public async Task With_since_the_lines_are_exactly_what_turns_one_version_into_the_other_in_both_directions()
    {
        var versions = await GeneratedPriceHistory.BuildAsync(Client, new Random(2718));

        for (var since = 1; since <= versions.Count; since++)
        {
            for (var v = 1; v <= versions.Count; v++)
            {
                var from = versions[since - 1];
                var to = versions[v - 1];
                var expected = from.Keys.Union(to.Keys).Order(StringComparer.Ordinal)
                    .Select(sku => (Sku: sku, Before: from.GetValueOrDefault(sku)?.Canonical, After: to.GetValueOrDefault(sku)?.Canonical))
                    .Where(c => c.Before != c.After)
                    .Select(c => new Line(c.Sku, c.After))
                    .ToList();

                var lines = await AllChangesAsync("price", v, since, limit: 250);

                Assert.True(expected.SequenceEqual(lines), $"changes of v{v} since v{since} differ from the difference of the versions");

                // Applied to version `since` as an agent applies them, they give version v.
                var model = from.ToDictionary(p => p.Key, p => p.Value.Canonical);
                foreach (var line in lines)
                {
                    if (line.Data is null)
                    {
                        Assert.True(model.Remove(line.Sku), $"{line.Sku} is deleted in v{v} since v{since} but was not in v{since}");
                    }
                    else
                    {
                        model[line.Sku] = line.Data;
                    }
                }

                Assert.Equal(to.ToDictionary(p => p.Key, p => p.Value.Canonical).OrderBy(p => p.Key, StringComparer.Ordinal), model.OrderBy(p => p.Key, StringComparer.Ordinal));
            }
        }
    }

    [Fact]
    public async Task The_next_chunk_cursor_is_percent_encoded_and_pages_past_SKUs_with_reserved_characters()
    {
        string[] skus = ["A B", "A/B", "A%B", "A%2FB", "A+B", "A?B#C", "A&B=C", "Ä-ü-€", "日本-1", "Z\"q\\"];
        var records = skus.Select((s, i) => new StockRecord(s, i)).ToList();
        await Client.ImportAsync("stock", Bodies.Ndjson(records));

        var seen = new List<Line>();
        string? after = null;
        do
        {
            using var response = await GetChangesAsync("stock", 1, since: null, after, limit: 1);
            var chunk = await ReadChunkAsync(response);
            if (chunk.NextAfter is { } next)
            {
                seen.Add(Assert.Single(chunk.Lines));
                Assert.Equal(Uri.EscapeDataString(chunk.Lines[^1].Sku), next);
                Assert.True(next.All(c => c < 128), "the header is ASCII");
                after = Uri.UnescapeDataString(next);
            }
            else
            {
                // A full chunk cannot tell that nothing follows: the last one is empty.
                Assert.Empty(chunk.Lines);
                after = null;
            }
        }
        while (after is not null);

        Assert.Equal(records.OrderBy(r => r.Sku, StringComparer.Ordinal).Select(r => new Line(r.Sku, r.Canonical)), seen);
    }

    [Fact]
    public async Task A_chunk_that_ends_exactly_at_the_last_record_is_followed_by_an_empty_one_without_cursor()
    {
        await Client.ImportAsync("stock", Bodies.Ndjson(Enumerable.Range(1, 4).Select(i => new StockRecord($"S-{i}", i))));

        using var first = await GetChangesAsync("stock", 1, since: null, after: null, limit: 4);
        var chunk = await ReadChunkAsync(first);
        Assert.Equal(4, chunk.Lines.Count);
        Assert.Equal("S-4", chunk.NextAfter);

        using var last = await GetChangesAsync("stock", 1, since: null, after: "S-4", limit: 4);
        var empty = await ReadChunkAsync(last);
        Assert.Empty(empty.Lines);
        Assert.Null(empty.NextAfter);
    }

    [Fact]
    public async Task Changes_of_a_version_since_itself_are_empty()
    {
        await Client.ImportAsync("stock", Bodies.Ndjson([new StockRecord("S-1", 1)]));

        Assert.Empty(await AllChangesAsync("stock", 1, since: 1, limit: 10));
    }

    [Theory]
    [InlineData("/api/v1/datasets/stock/versions/2/changes")]
    [InlineData("/api/v1/datasets/stock/versions/1/changes?since=2")]
    [InlineData("/api/v1/datasets/coupons/versions/1/changes")]
    public async Task An_unknown_dataset_or_version_is_404(string url)
    {
        await Client.ImportAsync("stock", Bodies.Ndjson([new StockRecord("S-1", 1)]));

        using var response = await Client.GetAsync(url);

        await Problem.ReadAsync(response, HttpStatusCode.NotFound);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    [InlineData(50_001)]
    public async Task A_limit_out_of_range_is_400_naming_limit(int limit)
    {
        await Client.ImportAsync("stock", Bodies.Ndjson([new StockRecord("S-1", 1)]));

        using var response = await Client.GetAsync($"/api/v1/datasets/stock/versions/1/changes?limit={limit}");

        Assert.Equal("limit", Assert.Single((await Problem.ReadAsync(response, HttpStatusCode.BadRequest)).Errors).Field);
    }

    /// <summary>Every line of the changes, chunk after chunk, as an agent pulls them.</summary>
    private async Task<List<Line>> AllChangesAsync(string dataset, int version, int? since, int limit)
    {
        var all = new List<Line>();
        string? after = null;
        do
        {
            using var response = await GetChangesAsync(dataset, version, since, after, limit);
            var chunk = await ReadChunkAsync(response);
            Assert.True(chunk.Lines.Count <= limit, $"a chunk holds at most {limit} lines");
            all.AddRange(chunk.Lines);
            after = chunk.NextAfter is { } next ? Uri.UnescapeDataString(next) : null;
            Assert.True(after is null || after == chunk.Lines[^1].Sku, "the cursor is the last SKU of the chunk");
        }
        while (after is not null);

        Assert.True(all.Select(l => l.Sku).SequenceEqual(all.Select(l => l.Sku).Order(StringComparer.Ordinal).Distinct()), "lines are sorted by SKU, each SKU once");
        return all;
    }

    private Task<HttpResponseMessage> GetChangesAsync(string dataset, int version, int? since, string? after, int limit) =>
        Client.GetAsync($"/api/v1/datasets/{dataset}/versions/{version}/changes?limit={limit}"
            + (since is null ? "" : $"&since={since}")
            + (after is null ? "" : "&after=" + Uri.EscapeDataString(after)));

    /// <summary>Checks a chunk's status, media type, SHA-256 and line count, and reads its lines.</summary>
    private static async Task<(List<Line> Lines, string? NextAfter)> ReadChunkAsync(HttpResponseMessage response)
    {
        var body = await response.Content.ReadAsByteArrayAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"Expected 200 but got {(int)response.StatusCode}: {Encoding.UTF8.GetString(body)}");
        Assert.Equal("application/x-ndjson", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(body)), Assert.Single(response.Headers.GetValues(ChunkHeaders.Sha256)));
        var lines = new List<Line>();
        foreach (var text in Encoding.UTF8.GetString(body).Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            using var document = JsonDocument.Parse(text);
            var root = document.RootElement;
            var names = root.EnumerateObject().Select(p => p.Name).ToList();
            var sku = root.GetProperty("sku").GetString()!;
            if (root.TryGetProperty("deleted", out var deleted))
            {
                Assert.Equal(["sku", "deleted"], names);
                Assert.Equal(JsonValueKind.True, deleted.ValueKind);
                lines.Add(new Line(sku, null));
            }
            else
            {
                Assert.Equal(["sku", "data"], names);
                lines.Add(new Line(sku, root.GetProperty("data").GetRawText()));
            }
        }

        Assert.Equal(lines.Count.ToString(System.Globalization.CultureInfo.InvariantCulture), Assert.Single(response.Headers.GetValues(ChunkHeaders.Lines)));
        var nextAfter = response.Headers.TryGetValues(ChunkHeaders.NextAfter, out var values) ? values.Single() : null;
        return (lines, nextAfter);
    }
}
