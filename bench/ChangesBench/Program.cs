using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using ControlPlane.Demo;
using ControlPlane.Reader;
using StackExchange.Redis;

// The live changes benchmark of issue 8. bench/run-changes starts PostgreSQL (durable settings), the control plane and
// two agents of environment "bench" with a Redis each, then runs this: a steady stream of change batches (stock adjusts
// and price upserts over --skus SKUs) at --rate changes per second for --seconds, with a new price list published and
// rolled back in the middle. It measures acknowledgement to visible in each agent's Redis, then checks that every
// change was applied exactly once and that every SKU reads as the bench's own model says.
var options = BenchOptions.Parse(args);
using var http = new HttpClient { BaseAddress = new Uri(options.Api), Timeout = TimeSpan.FromMinutes(5) };
if (options.Token.Length > 0)
{
    http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", options.Token);
}
var stock = new Dictionary<string, long>(StringComparer.Ordinal);
var prices = new Dictionary<string, string>(StringComparer.Ordinal);

Console.WriteLine($"Importing {options.Skus:N0} SKUs ...");
foreach (var dataset in new[] { "price", "stock", "product" })
{
    var lines = Enumerable.Range(1, options.Skus).Select(i => DemoCatalogue.LineFor(dataset)!(i, 0)).ToList();
    await PostNdjson(http, $"/api/v1/datasets/{dataset}/versions", lines);
    if (dataset == "stock")
    {
        foreach (var line in lines)
        {
            using var record = JsonDocument.Parse(line);
            stock[record.RootElement.GetProperty("sku").GetString()!] = record.RootElement.GetProperty("available").GetInt64();
        }
    }
}

var versions = await LatestVersionsAsync(http);
var releaseA = await CreateReleaseAsync(http, versions);
await WaitAgentsAsync(http, options.Agents.Length);
await PublishAndWaitLiveAsync(http, releaseA);
var redis = options.Agents.Select(port => ConnectionMultiplexer.Connect($"127.0.0.1:{port}").GetDatabase()).ToArray();
var appliedKey = $"cp:{options.Environment}:agent:changes";

// Where each dataset's log starts for this run (the agents may hold earlier runs' changes).
var startSeq = new Dictionary<string, long>(StringComparer.Ordinal);
foreach (var dataset in new[] { "stock", "price" })
{
    using var stream = JsonDocument.Parse(await http.GetStringAsync($"/api/v1/datasets/{dataset}/changes/stream"));
    startSeq[dataset] = stream.RootElement.GetProperty("lastSeq").GetInt64();
}

var startCount = new Dictionary<(int Agent, string Dataset), long>();
for (var a = 0; a < redis.Length; a++)
{
    foreach (var dataset in startSeq.Keys)
    {
        startCount[(a, dataset)] = (long?)await redis[a].HashGetAsync(appliedKey, dataset + ":count") ?? 0;
    }
}

// The load: batches due at a fixed pace (open loop), sent by several senders so a slow answer does not hold the pace.
var batchSize = options.BatchSize;
var batchInterval = TimeSpan.FromSeconds((double)batchSize / options.Rate);
var totalBatches = (int)(options.Seconds * options.Rate / batchSize);
var random = new Random(42);
var batches = new List<Batch>(totalBatches);
for (var k = 0; k < totalBatches; k++)
{
    // One batch in ten is a price list change, the rest stock movements.
    var dataset = k % 10 == 9 ? "price" : "stock";
    var lines = new List<(string Sku, string Line, long Delta, string? Price)>(batchSize);
    for (var i = 0; i < batchSize; i++)
    {
        var sku = DemoCatalogue.Sku(random.Next(1, options.Skus + 1));
        if (dataset == "stock")
        {
            var delta = random.Next(-3, 4) is var d && d != 0 ? d : 2;
            lines.Add((sku, $"{{\"op\":\"adjust\",\"sku\":\"{sku}\",\"delta\":{delta}}}", delta, null));
        }
        else
        {
            var amount = (random.Next(100, 99_999) / 100m + 0.01m).ToString(CultureInfo.InvariantCulture);
            var price = $"{{\"amount\":{amount},\"currency\":\"EUR\",\"sku\":\"{sku}\"}}";
            lines.Add((sku, $"{{\"op\":\"upsert\",\"sku\":\"{sku}\",\"amount\":{amount},\"currency\":\"EUR\"}}", 0, price));
        }
    }

    batches.Add(new Batch(k, dataset, lines));
}

// Visibility: each agent's applied position, polled; a batch is visible on an agent once the position reaches its last sequence number.
var stop = new CancellationTokenSource();
var clock = Stopwatch.StartNew();
var floor = new List<double>();
var perAgentQueues = Enumerable.Range(0, redis.Length).Select(_ => new ConcurrentQueue<Batch>()).ToArray();
var watchers = new List<Task>();
for (var a = 0; a < redis.Length; a++)
{
    var agent = a;
    var queue = perAgentQueues[a];
    watchers.Add(Task.Run(async () =>
    {
        var waiting = new List<Batch>();
        while (true)
        {
            while (queue.TryDequeue(out var acknowledged))
            {
                waiting.Add(acknowledged);
            }

            if (stop.IsCancellationRequested && waiting.Count == 0 && queue.IsEmpty)
            {
                return;
            }

            var fields = await redis[agent].HashGetAsync(appliedKey, ["stock", "price"]);
            var now = clock.Elapsed.TotalMilliseconds;
            var applied = new Dictionary<string, long>(StringComparer.Ordinal) { ["stock"] = (long?)fields[0] ?? 0, ["price"] = (long?)fields[1] ?? 0 };
            waiting.RemoveAll(b =>
            {
                if (applied[b.Dataset] < b.LastSeq)
                {
                    return false;
                }

                b.VisibleMs[agent] = now;
                return true;
            });
            await Task.Delay(1);
        }
    }));
}

// The floor beside it: one round trip that writes a value and a position in the same Redis (what an apply is, without the
// control plane, PostgreSQL and the agent), sampled through the run.
var floorTask = Task.Run(async () =>
{
    while (!stop.IsCancellationRequested)
    {
        var started = clock.Elapsed.TotalMilliseconds;
        await redis[0].ScriptEvaluateAsync("redis.call('SET', KEYS[1], ARGV[1]); redis.call('HSET', KEYS[2], 'seq', ARGV[1]); return 1",
            ["bench:floor:value", "bench:floor:position"], [started.ToString(CultureInfo.InvariantCulture)]);
        lock (floor)
        {
            floor.Add(clock.Elapsed.TotalMilliseconds - started);
        }

        await Task.Delay(10);
    }
});

Console.WriteLine($"Sending {totalBatches:N0} batches of {batchSize} ({options.Rate:N0} changes/s for {options.Seconds} s) ...");
var next = -1;
var rejected = 0L;
var modelLock = new Lock();
var runStart = clock.Elapsed;
var senders = Enumerable.Range(0, options.Senders).Select(_ => Task.Run(async () =>
{
    while (true)
    {
        var k = Interlocked.Increment(ref next);
        if (k >= batches.Count)
        {
            return;
        }

        var batch = batches[k];
        var due = runStart + (batchInterval * k);
        if (due > clock.Elapsed)
        {
            await Task.Delay(due - clock.Elapsed);
        }

        batch.SentMs = clock.Elapsed.TotalMilliseconds;
        using var content = new StringContent(string.Join('\n', batch.Lines.Select(l => l.Line)) + "\n", Encoding.UTF8, "application/x-ndjson");
        using var request = new HttpRequestMessage(HttpMethod.Post, $"/api/v1/datasets/{batch.Dataset}/changes") { Content = content };
        request.Headers.Add("Idempotency-Key", $"bench-{options.RunId}-{k}");
        using var response = await http.SendAsync(request);
        batch.AckMs = clock.Elapsed.TotalMilliseconds;
        var body = await response.Content.ReadAsStringAsync();
        if (!response.IsSuccessStatusCode && (int)response.StatusCode != 409)
        {
            throw new InvalidOperationException($"batch {k} answered {(int)response.StatusCode}: {body[..Math.Min(400, body.Length)]}");
        }

        using var answer = JsonDocument.Parse(body);
        if (answer.RootElement.TryGetProperty("acceptedLines", out var accepted))
        {
            batch.Accepted = accepted.EnumerateArray().Select(a => (a.GetProperty("line").GetInt64(), a.GetProperty("seq").GetInt64())).ToList();
            batch.LastSeq = batch.Accepted.Count > 0 ? batch.Accepted[^1].Seq : 0;
        }

        Interlocked.Add(ref rejected, batch.Lines.Count - batch.Accepted.Count);
        if (batch.Accepted.Count > 0)
        {
            foreach (var queue in perAgentQueues)
            {
                queue.Enqueue(batch);
            }
        }
    }
})).ToList();

// The publish and the rollback in the middle: a new price list is imported, made live, then rolled back.
var releaseB = 0L;
var publishMs = 0.0;
var rollbackMs = 0.0;
var middle = Task.Run(async () =>
{
    await Task.Delay(TimeSpan.FromSeconds(options.Seconds * 0.3));
    var lines = Enumerable.Range(1, options.Skus).Select(i => DemoCatalogue.PriceLine(i, seed: 5)).ToList();
    await PostNdjson(http, "/api/v1/datasets/price/versions", lines);
    releaseB = await CreateReleaseAsync(http, new Dictionary<string, int>(versions) { ["price"] = (await LatestVersionsAsync(http))["price"] });
    var started = clock.Elapsed;
    await PublishAndWaitLiveAsync(http, releaseB);
    publishMs = (clock.Elapsed - started).TotalMilliseconds;
    Console.WriteLine($"  t={clock.Elapsed.TotalSeconds:N0} s: release {releaseB} (new price list) live after {publishMs:N0} ms");
    await Task.Delay(TimeSpan.FromSeconds(options.Seconds * 0.3));
    started = clock.Elapsed;
    using var rollback = await http.PostAsJsonAsync($"/api/v1/environments/{options.Environment}/rollback", new { toRelease = releaseA });
    await EnsureAsync(rollback, "rollback");
    await WaitLiveAsync(http, releaseA);
    rollbackMs = (clock.Elapsed - started).TotalMilliseconds;
    Console.WriteLine($"  t={clock.Elapsed.TotalSeconds:N0} s: rolled back to release {releaseA} after {rollbackMs:N0} ms");
});

await Task.WhenAll(senders);
var sendSeconds = (clock.Elapsed - runStart).TotalSeconds;
await middle;
await stop.CancelAsync();
await Task.WhenAll(watchers);
await floorTask;

// Exactly once: each agent's applied count grew by the number of accepted changes, and its position is the last one.
var acceptedTotal = batches.Sum(b => (long)b.Accepted.Count);
var lost = 0L;
var twice = 0L;
foreach (var dataset in startSeq.Keys)
{
    var accepted = batches.Where(b => b.Dataset == dataset).Sum(b => (long)b.Accepted.Count);
    var last = batches.Where(b => b.Dataset == dataset && b.LastSeq > 0).Select(b => b.LastSeq).DefaultIfEmpty(startSeq[dataset]).Max();
    for (var a = 0; a < redis.Length; a++)
    {
        var position = (long?)await redis[a].HashGetAsync(appliedKey, dataset) ?? 0;
        var count = ((long?)await redis[a].HashGetAsync(appliedKey, dataset + ":count") ?? 0) - startCount[(a, dataset)];
        lost += Math.Max(0, accepted - count) + (position < last ? 1 : 0);
        twice += Math.Max(0, count - accepted);
        Console.WriteLine($"  agent {a} {dataset}: position {position} (last {last}), applied {count:N0} of {accepted:N0} accepted");
    }
}

// The bench's own model of the final state (release A: version 1 of each dataset plus every change), replayed in sequence
// order; it also predicts which adjusts the oversell rule refuses.
var refusalsDisagreeing = 0L;
foreach (var batch in batches.Where(b => b.Accepted.Count > 0).OrderBy(b => b.Accepted[0].Seq))
{
    var acceptedLines = batch.Accepted.Select(a => a.Line).ToHashSet();
    for (var i = 0; i < batch.Lines.Count; i++)
    {
        var (sku, _, delta, price) = batch.Lines[i];
        var wasAccepted = acceptedLines.Contains(i + 1);
        if (price is not null)
        {
            prices[sku] = price;
        }
        else
        {
            refusalsDisagreeing += stock[sku] + delta >= 0 == wasAccepted ? 0 : 1;
            if (wasAccepted)
            {
                stock[sku] += delta;
            }
        }
    }
}

var stockMismatches = 0;
var priceMismatches = 0;
var skus = Enumerable.Range(1, options.Skus).Select(DemoCatalogue.Sku).ToList();
for (var a = 0; a < redis.Length; a++)
{
    var reader = new PromotionDataReader(new StackExchangeRedisClient(redis[a]), options.Environment);
    foreach (var chunk in skus.Chunk(1000))
    {
        foreach (var row in (await reader.GetManyAsync(chunk))!)
        {
            using var record = JsonDocument.Parse(row["stock"]!);
            stockMismatches += record.RootElement.GetProperty("available").GetInt64() == stock[row.Sku] ? 0 : 1;
            if (prices.TryGetValue(row.Sku, out var price) && AmountOf(row["price"]) != AmountOf(price))
            {
                priceMismatches++;
            }
        }
    }
}

var latencies = Enumerable.Range(0, redis.Length)
    .SelectMany(a => batches.Where(b => b.Accepted.Count > 0 && b.VisibleMs[a] > 0).Select(b => Math.Max(0, b.VisibleMs[a] - b.AckMs)))
    .ToList();
var acks = batches.Select(b => b.AckMs - b.SentMs).ToList();
List<double> floorSamples;
lock (floor)
{
    floorSamples = [.. floor];
}

Console.WriteLine();
Console.WriteLine($"| live changes, {options.Skus:N0} SKUs, {redis.Length} agents, publish + rollback in the middle | measured | baseline | target |");
Console.WriteLine("| --- | --- | --- | --- |");
Console.WriteLine($"| sustained rate (accepted + refused lines / s) | {(acceptedTotal + rejected) / sendSeconds:N0} /s over {sendSeconds:N1} s | offered {options.Rate:N0} /s in batches of {batchSize} | 2,000 /s for 60 s |");
Console.WriteLine($"| changes accepted / refused (oversell) | {acceptedTotal:N0} / {rejected:N0} | refusals the bench's own replay disagrees with: {refusalsDisagreeing} | |");
Console.WriteLine($"| lost / applied twice (per agent, by applied count and position) | {lost} / {twice} | | 0 / 0 |");
Console.WriteLine($"| SKUs reading other than the bench's model (cp_get, both agents): stock / price | {stockMismatches} / {priceMismatches} | | 0 / 0 |");
Console.WriteLine($"| POST batch round trip (durable in PostgreSQL) p50 / p99 | {Ms(Percentile(acks, 50))} / {Ms(Percentile(acks, 99))} | | |");
Console.WriteLine($"| acknowledgement to visible in Redis p50 / p99 ({latencies.Count:N0} batch x agent samples) | {Ms(Percentile(latencies, 50))} / {Ms(Percentile(latencies, 99))} | one Lua write round trip to Redis: {Ms(Percentile(floorSamples, 50))} / {Ms(Percentile(floorSamples, 99))} | p99 under 200 ms |");
Console.WriteLine($"| publish of the new price list / rollback, under the load | {Ms(publishMs)} / {Ms(rollbackMs)} | | |");
return lost == 0 && twice == 0 && stockMismatches + priceMismatches == 0 && refusalsDisagreeing == 0 ? 0 : 1;

static decimal? AmountOf(string? price) =>
    price is null ? null : JsonDocument.Parse(price).RootElement.GetProperty("amount").GetDecimal();

static string Ms(double ms) => ms.ToString("N1", CultureInfo.InvariantCulture) + " ms";

static double Percentile(List<double> values, int percentile)
{
    if (values.Count == 0)
    {
        return double.NaN;
    }

    var sorted = values.Order().ToList();
    var rank = (int)Math.Ceiling(percentile / 100.0 * sorted.Count) - 1;
    return sorted[Math.Clamp(rank, 0, sorted.Count - 1)];
}

static async Task PostNdjson(HttpClient http, string path, IEnumerable<string> lines)
{
    using var content = new StringContent(string.Join('\n', lines) + "\n", Encoding.UTF8);
    content.Headers.ContentType = new MediaTypeHeaderValue("application/x-ndjson");
    using var response = await http.PostAsync(path, content);
    await EnsureAsync(response, path);
}

static async Task EnsureAsync(HttpResponseMessage response, string path)
{
    if (!response.IsSuccessStatusCode)
    {
        var body = await response.Content.ReadAsStringAsync();
        throw new InvalidOperationException($"{path} answered {(int)response.StatusCode}: {body[..Math.Min(body.Length, 1000)]}");
    }
}

static async Task<Dictionary<string, int>> LatestVersionsAsync(HttpClient http)
{
    using var document = JsonDocument.Parse(await http.GetStringAsync("/api/v1/datasets"));
    return document.RootElement.EnumerateArray().ToDictionary(d => d.GetProperty("name").GetString()!, d => d.GetProperty("latest").GetProperty("version").GetInt32());
}

static async Task<long> CreateReleaseAsync(HttpClient http, Dictionary<string, int> versions)
{
    using var response = await http.PostAsJsonAsync("/api/v1/releases", new { environment = "bench", versions, note = "changes bench" });
    await EnsureAsync(response, "releases");
    using var document = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
    return document.RootElement.GetProperty("release").GetProperty("id").GetInt64();
}

static async Task PublishAndWaitLiveAsync(HttpClient http, long release)
{
    using var response = await http.PostAsync($"/api/v1/releases/{release}/publish", null);
    await EnsureAsync(response, "publish");
    await WaitLiveAsync(http, release);
}

static async Task WaitLiveAsync(HttpClient http, long release)
{
    var deadline = Stopwatch.StartNew();
    while (deadline.Elapsed < TimeSpan.FromMinutes(5))
    {
        using var document = JsonDocument.Parse(await http.GetStringAsync($"/api/v1/releases/{release}"));
        var state = document.RootElement.GetProperty("state").GetString();
        if (state == "Live")
        {
            return;
        }

        if (state is "Failed" or "Partial" or "Aborted")
        {
            throw new InvalidOperationException($"Release {release} ended {state}.");
        }

        await Task.Delay(20);
    }

    throw new TimeoutException($"Release {release} did not go live.");
}

static async Task WaitAgentsAsync(HttpClient http, int count)
{
    var deadline = Stopwatch.StartNew();
    while (deadline.Elapsed < TimeSpan.FromMinutes(2))
    {
        using var document = JsonDocument.Parse(await http.GetStringAsync("/api/v1/agents?environment=bench"));
        if (document.RootElement.EnumerateArray().Count(a => a.GetProperty("status").GetString() != "stale") >= count)
        {
            return;
        }

        await Task.Delay(200);
    }

    throw new TimeoutException("The agents did not register.");
}

internal sealed class Batch(int index, string dataset, List<(string Sku, string Line, long Delta, string? Price)> lines)
{
    public int Index => index;

    public string Dataset => dataset;

    public List<(string Sku, string Line, long Delta, string? Price)> Lines => lines;

    public List<(long Line, long Seq)> Accepted { get; set; } = [];

    public long LastSeq { get; set; }

    public double SentMs { get; set; }

    public double AckMs { get; set; }

    public double[] VisibleMs { get; } = new double[4];
}

internal sealed record BenchOptions(string Api, string Token, string Environment, int[] Agents, int Skus, int Rate, int Seconds, int BatchSize, int Senders, string RunId)
{
    public static BenchOptions Parse(string[] args)
    {
        string Get(string name, string fallback)
        {
            var i = Array.IndexOf(args, "--" + name);
            return i >= 0 && i + 1 < args.Length ? args[i + 1] : fallback;
        }

        int Int(string name, int fallback) => int.Parse(Get(name, fallback.ToString(CultureInfo.InvariantCulture)), CultureInfo.InvariantCulture);
        return new BenchOptions(
            Get("api", "http://127.0.0.1:5183"),
            Get("token", ""),
            Get("env", "bench"),
            [.. Get("agents", "56431,56432").Split(',').Select(p => int.Parse(p, CultureInfo.InvariantCulture))],
            Int("skus", 10_000),
            Int("rate", 2000),
            Int("seconds", 60),
            Int("batch", 100),
            Int("senders", 8),
            DateTime.UtcNow.Ticks.ToString(CultureInfo.InvariantCulture));
    }
}
