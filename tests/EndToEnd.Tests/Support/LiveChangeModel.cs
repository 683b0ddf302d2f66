using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using ControlPlane.Contracts;
using ControlPlane.Tests.Support;

namespace EndToEnd.Tests.Support;

/// <summary>
/// The test's own account of live changes, kept apart from the server's code: what each accepted change makes of a SKU
/// (stock adjustments summed here from the snapshot's values), by dataset and sequence number, so the state a release
/// must show can be computed independently: its versions' records, then for each SKU the newest change above the
/// version's watermark (README, "Live changes").
/// </summary>
public sealed class LiveChangeModel
{
    private readonly Lock _lock = new();
    private readonly Dictionary<string, Dictionary<string, JsonObject?>> _head = new(StringComparer.Ordinal);
    private readonly Dictionary<string, List<(long Seq, string Sku, JsonObject? Record)>> _log = new(StringComparer.Ordinal);

    /// <summary>Sets the head of a dataset to a full snapshot (what a full import makes it).</summary>
    public void Snapshot(string dataset, IEnumerable<string> lines)
    {
        lock (_lock)
        {
            _head[dataset] = lines.Select(l => JsonNode.Parse(l)!.AsObject()).ToDictionary(r => r["sku"]!.GetValue<string>(), r => (JsonObject?)r, StringComparer.Ordinal);
        }
    }

    public int Count(string dataset)
    {
        lock (_lock)
        {
            return _log.TryGetValue(dataset, out var log) ? log.Count : 0;
        }
    }

    public long LastSeq(string dataset)
    {
        lock (_lock)
        {
            return _log.TryGetValue(dataset, out var log) && log.Count > 0 ? log[^1].Seq : 0;
        }
    }

    /// <summary>Random changes for SKUs 1..count (and some new ones): price upserts and deletes, stock adjustments and upserts.</summary>
    public static List<JsonObject> RandomBatch(string dataset, Random random, int count, int size)
    {
        var lines = new List<JsonObject>(size);
        for (var i = 0; i < size; i++)
        {
            var n = random.Next(1, count + 20);
            var sku = Catalogue.Sku(n);
            lines.Add(dataset switch
            {
                "price" when random.Next(10) == 0 => new JsonObject { ["op"] = "delete", ["sku"] = sku },
                "price" => new JsonObject { ["op"] = "upsert", ["sku"] = sku, ["amount"] = random.Next(1, 99_999) / 100m + 0.01m, ["currency"] = "EUR" },
                "stock" when n > count || random.Next(8) == 0 =>
                    new JsonObject { ["op"] = "upsert", ["sku"] = sku, ["available"] = random.Next(100, 1000), ["warehouse"] = "wh-live" },
                "stock" => new JsonObject { ["op"] = "adjust", ["sku"] = sku, ["delta"] = random.Next(-3, 4) is var d && d != 0 ? d : 1 },
                _ => throw new ArgumentException($"No live changes for {dataset} in this model.", nameof(dataset)),
            });
        }

        return lines;
    }

    /// <summary>Posts a batch and records what each accepted line made of its SKU; every line must be accepted.</summary>
    public async Task<long> PostAsync(HttpClient client, string dataset, IReadOnlyList<JsonObject> lines, string? idempotencyKey = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, $"api/v1/datasets/{dataset}/changes")
        {
            Content = new StringContent(string.Join('\n', lines.Select(l => l.ToJsonString())) + "\n", Encoding.UTF8, "application/x-ndjson"),
        };
        if (idempotencyKey is not null)
        {
            request.Headers.Add("Idempotency-Key", idempotencyKey);
        }

        using var response = await client.SendAsync(request);
        var answer = await Http.ReadAsync<JsonObject>(response, HttpStatusCode.OK);
        Assert.Equal(lines.Count, answer["accepted"]!.GetValue<int>());
        var seqs = answer["acceptedLines"]!.AsArray().Select(a => a!["seq"]!.GetValue<long>()).ToList();
        lock (_lock)
        {
            if (answer["replayed"]?.GetValue<bool>() == true)
            {
                return seqs[^1];
            }

            var head = _head[dataset];
            var log = _log.TryGetValue(dataset, out var existing) ? existing : _log[dataset] = [];
            for (var i = 0; i < lines.Count; i++)
            {
                var sku = lines[i]["sku"]!.GetValue<string>();
                JsonObject? record = lines[i]["op"]!.GetValue<string>() switch
                {
                    "delete" => null,
                    "adjust" => Adjusted(head[sku] ?? throw new InvalidOperationException($"adjust of absent {sku} was accepted"), Number(lines[i]["delta"]!)),
                    _ => Without(lines[i], "op"),
                };
                head[sku] = record;
                Assert.True(log.Count == 0 || log[^1].Seq < seqs[i], "sequence numbers grow");
                log.Add((seqs[i], sku, record));
            }
        }

        return seqs[^1];
    }

    /// <summary>What a release of these versions must show: each version's records, overlaid by the newest change above its watermark.</summary>
    public Dictionary<string, Dictionary<string, JsonObject>> Expected(IReadOnlyDictionary<string, (Dictionary<string, JsonNode> Records, long Watermark)> versions)
    {
        lock (_lock)
        {
            var expected = new Dictionary<string, Dictionary<string, JsonObject>>(StringComparer.Ordinal);
            foreach (var (dataset, (records, watermark)) in versions)
            {
                var state = records.ToDictionary(r => r.Key, r => (JsonObject?)r.Value.AsObject(), StringComparer.Ordinal);
                foreach (var (seq, sku, record) in _log.GetValueOrDefault(dataset) ?? [])
                {
                    if (seq > watermark)
                    {
                        state[sku] = record;
                    }
                }

                expected[dataset] = state.Where(s => s.Value is not null).ToDictionary(s => s.Key, s => s.Value!, StringComparer.Ordinal);
            }

            return expected;
        }
    }

    /// <summary>Every SKU the model has seen, for reading absent ones too.</summary>
    public IReadOnlyList<string> AllSkus()
    {
        lock (_lock)
        {
            return [.. _head.Values.SelectMany(h => h.Keys).Concat(_log.Values.SelectMany(l => l.Select(e => e.Sku))).Distinct().Order(StringComparer.Ordinal)];
        }
    }

    /// <summary>Reads every SKU through cp_get on an agent's Redis and asserts each dataset's value is the expected one.</summary>
    public static async Task AssertReadsAsync(AgentNode agent, string environment, long releaseId, Dictionary<string, Dictionary<string, JsonObject>> expected, IEnumerable<string> skus)
    {
        var reader = agent.Reader(environment);
        foreach (var batch in skus.Chunk(500))
        {
            var rows = await reader.GetManyAsync(batch);
            Assert.True(rows is not null, $"{agent.AgentId}: nothing is live");
            foreach (var row in rows)
            {
                Assert.True(row.ReleaseId == releaseId, $"{agent.AgentId}: {row.Sku} read from release {row.ReleaseId}, expected {releaseId}");
                foreach (var (dataset, records) in expected)
                {
                    var read = row[dataset];
                    if (!records.TryGetValue(row.Sku, out var record))
                    {
                        Assert.True(read is null, $"{agent.AgentId}: {dataset} of {row.Sku} should be absent but reads {read}");
                        continue;
                    }

                    Assert.True(read is not null && JsonNode.DeepEquals(record, JsonNode.Parse(read)),
                        $"{agent.AgentId}: {dataset} of {row.Sku} reads {read ?? "nothing"}, expected {record.ToJsonString()}");
                }
            }
        }
    }

    /// <summary>Waits until the agent's Redis has applied the dataset's log up to <paramref name="seq"/>; returns the applied count.</summary>
    public static async Task<long> WaitAppliedAsync(AgentNode agent, string environment, string dataset, long seq)
    {
        var key = $"cp:{environment}:agent:changes";
        await Eventually.UntilAsync(async () => (long?)await agent.Redis.Database.HashGetAsync(key, dataset) >= seq,
            $"{agent.AgentId} applied {dataset} up to {seq}");
        return (long)await agent.Redis.Database.HashGetAsync(key, dataset + ":count");
    }

    /// <summary>The versions of a release with their records and watermarks, read from the API.</summary>
    public static async Task<Dictionary<string, (Dictionary<string, JsonNode> Records, long Watermark)>> VersionsOfAsync(Cluster cluster, long releaseId)
    {
        var release = (await cluster.Api.ReleaseAsync(releaseId)).Release;
        var versions = new Dictionary<string, (Dictionary<string, JsonNode>, long)>(StringComparer.Ordinal);
        foreach (var (dataset, version) in release.Versions)
        {
            var info = await cluster.ControlPlane.Client.GetFromJsonAsync<JsonObject>($"api/v1/datasets/{dataset}/versions/{version}", Http.Json);
            versions[dataset] = (await cluster.Api.RecordsAsync(dataset, version), info!["changeWatermark"]!.GetValue<long>());
        }

        return versions;
    }

    private static JsonObject Adjusted(JsonObject record, long delta)
    {
        var copy = record.DeepClone().AsObject();
        copy["available"] = Number(copy["available"]!) + delta;
        return copy;
    }

    // Nodes built in the test hold ints, nodes parsed from text hold JSON elements; the text reads the same for both.
    private static long Number(JsonNode node) => long.Parse(node.ToJsonString(), System.Globalization.CultureInfo.InvariantCulture);

    private static JsonObject Without(JsonObject line, string property)
    {
        var copy = line.DeepClone().AsObject();
        copy.Remove(property);
        return copy;
    }
}
