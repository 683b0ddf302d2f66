using System.Net;
using System.Security.Cryptography;
using System.Text;
using ControlPlane.Contracts;
using ControlPlane.Tests.Datasets;
using ControlPlane.Tests.Support;

namespace ControlPlane.Tests.Tiers;

/// <summary>Everything a client can read of a version, to compare before and after it went cold.</summary>
public static class TierReads
{
    /// <summary>Every line of the agents' changes endpoint, chunk after chunk, each chunk checked against its SHA-256.</summary>
    public static async Task<List<string>> AllChangesAsync(this HttpClient client, string dataset, int version, int? since, int limit = 700)
    {
        var all = new List<string>();
        string? after = null;
        do
        {
            using var response = await client.GetAsync($"/api/v1/datasets/{dataset}/versions/{version}/changes?limit={limit}"
                + (since is null ? "" : $"&since={since}") + (after is null ? "" : "&after=" + Uri.EscapeDataString(after)));
            var body = await response.Content.ReadAsByteArrayAsync();
            Assert.True(response.StatusCode == HttpStatusCode.OK, $"changes answered {(int)response.StatusCode}: {Encoding.UTF8.GetString(body)}");
            Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(body)), Assert.Single(response.Headers.GetValues(ChunkHeaders.Sha256)));
            var lines = Encoding.UTF8.GetString(body).Split('\n', StringSplitOptions.RemoveEmptyEntries);
            Assert.True(lines.Length <= limit);
            all.AddRange(lines);
            after = response.Headers.TryGetValues(ChunkHeaders.NextAfter, out var next) ? Uri.UnescapeDataString(next.Single()) : null;
        }
        while (after is not null);

        return all;
    }

    /// <summary>A version's records, its diffs with the others and its changes, as text for comparison.</summary>
    /// <param name="client">The API.</param>
    /// <param name="dataset">The dataset.</param>
    /// <param name="versions">Versions to read whole.</param>
    /// <param name="others">Versions each is compared with (diffs and changes since).</param>
    /// <param name="probeSkus">SKUs read one by one.</param>
    public static async Task<Dictionary<string, string>> SnapshotAsync(
        this HttpClient client, string dataset, IReadOnlyList<int> versions, IReadOnlyList<int> others, string[] probeSkus)
    {
        var result = new Dictionary<string, string>();
        foreach (var version in versions)
        {
            var records = await client.AllRecordsAsync(dataset, version, limit: 500);
            result[$"records {version}"] = string.Join('\n', records.Select(r => r.Sku + " " + r.Data.GetRawText()));
            result[$"changes {version}"] = string.Join('\n', await client.AllChangesAsync(dataset, version, since: null));
            foreach (var sku in probeSkus)
            {
                using var response = await client.GetAsync($"/api/v1/datasets/{dataset}/versions/{version}/records/{Uri.EscapeDataString(sku)}");
                result[$"record {version} {sku}"] = $"{(int)response.StatusCode} {(response.IsSuccessStatusCode ? await response.Content.ReadAsStringAsync() : "")}";
            }

            foreach (var other in others.Where(v => v != version))
            {
                result[$"changes {version} since {other}"] = string.Join('\n', await client.AllChangesAsync(dataset, version, since: other));
                var (first, items) = await client.AllDiffAsync(dataset, other, version, limit: 400);
                result[$"diff {other} {version}"] = $"{first.Added} {first.Changed} {first.Removed}\n"
                    + string.Join('\n', items.Select(i => $"{i.Sku} {i.Change} {i.Before?.GetRawText()} {i.After?.GetRawText()}"));
                var (_, removed) = await client.AllDiffAsync(dataset, other, version, change: "removed", limit: 300);
                result[$"diff {other} {version} removed"] = string.Join('\n', removed.Select(i => i.Sku));
            }
        }

        return result;
    }
}
