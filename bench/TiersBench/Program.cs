using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using ControlPlane.Contracts;
using ControlPlane.Demo;
using StackExchange.Redis;

// The tiers benchmark (issue 5). bench/run-tiers starts PostgreSQL, the control plane (folder cold store, warm = the
// latest version only, no hot release besides the live one) and one agent with its Redis for environment "tiers",
// then runs this: archive a 1,000,000-SKU price version, stream it back from cold, and roll back to a release whose
// version is only in cold. Baselines: the raw NDJSON file, gzip -c of it, reading it.
var api = Arg("--api");
var redisPort = int.Parse(Arg("--redis"), CultureInfo.InvariantCulture);
var outDirectory = Arg("--out");
var skus = int.Parse(Arg("--skus", "1000000"), CultureInfo.InvariantCulture);
var changed = int.Parse(Arg("--changed", "10000"), CultureInfo.InvariantCulture);
Directory.CreateDirectory(outDirectory);
using var http = new HttpClient { BaseAddress = new Uri(api), Timeout = TimeSpan.FromMinutes(20) };
http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Environment.GetEnvironmentVariable("BENCH_TOKEN"));
var rows = new List<string>();
void Row(string name, string value, string baseline, string target) => rows.Add($"| {name} | {value} | {baseline} | {target} |");
static string Seconds(TimeSpan t) => t.TotalSeconds.ToString("N2", CultureInfo.InvariantCulture) + " s";
static string Mb(long bytes) => (bytes / 1_000_000.0).ToString("N1", CultureInfo.InvariantCulture) + " MB";

// Baselines on the raw NDJSON file of the version.
var raw = Path.Combine(outDirectory, "price.ndjson");
await using (var stream = File.Create(raw))
{
    DemoCatalogue.Write("price", skus, stream);
}

var rawBytes = new FileInfo(raw).Length;
var readRaw = await Time(async () =>
{
    await using var file = File.OpenRead(raw);
    await file.CopyToAsync(Stream.Null);
});
var gzipFile = raw + ".gz";
var gzipTime = await Time(() => Shell("bash", "-c", $"gzip -c '{raw}' > '{gzipFile}'"));
var gzipBytes = new FileInfo(gzipFile).Length;
Console.WriteLine($"raw NDJSON {Mb(rawBytes)}, gzip -c {Mb(gzipBytes)} in {Seconds(gzipTime)}, read in {Seconds(readRaw)}");

// v1: the full catalogue, live in release A; v2: v1 with `changed` prices moved, live in release B.
Console.WriteLine($"Importing {skus:N0} SKUs ...");
await PostFile(http, "/api/v1/datasets/price/versions", raw);
var delta = Path.Combine(outDirectory, "price-delta.ndjson");
await File.WriteAllLinesAsync(delta, Enumerable.Range(0, changed)
    .Select(n => "{\"op\":\"upsert\"," + DemoCatalogue.PriceLine(1 + n * (skus / changed), seed: 7)[1..]));
await PostFile(http, "/api/v1/datasets/price/versions?mode=delta&base=1", delta);
await WaitForAgentAsync(http, "tiers");
var redis = ConnectionMultiplexer.Connect($"127.0.0.1:{redisPort},syncTimeout=30000").GetDatabase();
var releaseA = await CreateReleaseAsync(http, "tiers", new() { ["price"] = 1 });
Console.WriteLine("Publishing release A (version 1) ...");
await PublishAndWaitLiveAsync(http, releaseA);
var releaseB = await CreateReleaseAsync(http, "tiers", new() { ["price"] = 2 });
await PublishAndWaitLiveAsync(http, releaseB);
await WaitHeldOnlyAsync(http, "tiers", releaseB);
var rowsBefore = await WarmRowsAsync(http);

// Archive: version 1 left the warm window (the latest version only) and is no longer hot.
Console.WriteLine("Archiving version 1 ...");
JsonElement run = default;
var archive = await Time(async () => run = await PostJson(http, "/api/v1/tiers/archive/run", new { }));
if (run.GetProperty("archived").GetArrayLength() != 1)
{
    throw new InvalidOperationException("The archive run did not archive version 1: " + run);
}

using var tiers = JsonDocument.Parse(await http.GetStringAsync("/api/v1/tiers/price"));
var v1 = tiers.RootElement.GetProperty("versions").EnumerateArray().Single(v => v.GetProperty("version").GetInt32() == 1);
var coldStored = v1.GetProperty("coldStoredBytes").GetInt64();
var coldRaw = v1.GetProperty("coldRawBytes").GetInt64();
Row($"archive a {skus:N0}-SKU version: write chunks and manifest, read back, verify hash, remove warm rows", Seconds(archive),
    $"gzip -c of the raw NDJSON: {Seconds(gzipTime)}", "");
Row("cold size of the version", $"{Mb(coldStored)} ({100.0 * coldStored / rawBytes:N1}% of raw)",
    $"raw NDJSON {Mb(rawBytes)}; gzip -c {Mb(gzipBytes)} ({100.0 * gzipBytes / rawBytes:N1}%); archive lines uncompressed {Mb(coldRaw)}", "under 25% of raw");
// Copy-on-write: version 2 shares every row of version 1 but the changed ones, so archiving version 1 may delete
// only the rows version 1 alone needed.
Row("rows deleted from PostgreSQL by archiving version 1 (the rows no warm version shares)",
    $"{v1.GetProperty("warmRowsRemoved").GetInt64():N0} of about {rowsBefore:N0} rows (planner estimate)", $"rows only version 1 used: {changed:N0}", "");

// Rehydrate: every record of the cold version streamed back through the agents' changes endpoint (chunks verified).
long lines = 0;
var rehydrate = await Time(async () =>
{
    string? after = null;
    do
    {
        using var response = await http.GetAsync("/api/v1/datasets/price/versions/1/changes?limit=50000" + (after is null ? "" : "&after=" + Uri.EscapeDataString(after)));
        await EnsureAsync(response, "changes");
        var body = await response.Content.ReadAsByteArrayAsync();
        lines += body.Count(b => b == (byte)'\n');
        after = response.Headers.TryGetValues(ChunkHeaders.NextAfter, out var next) ? Uri.UnescapeDataString(next.Single()) : null;
    }
    while (after is not null);
});
if (lines != skus)
{
    throw new InvalidOperationException($"Rehydration streamed {lines} records, expected {skus}.");
}

Row($"rehydrate: stream all {skus:N0} records of the cold version (changes endpoint, 50,000 a chunk)", Seconds(rehydrate),
    $"read the raw NDJSON file: {Seconds(readRaw)}", "");

// Rollback to release A, whose version is only in cold: from the API call to the agent's pointer naming it.
Console.WriteLine("Rolling back to release A (cold) ...");
var rollback = await Time(async () =>
{
    await PostJson(http, "/api/v1/environments/tiers/rollback", new { toRelease = releaseA });
    await WaitPointerAsync(redis, "tiers", releaseA);
});
Row($"rollback to a release whose version is only in cold ({changed:N0} SKUs differ from the live one): API call to pointer switched",
    Seconds(rollback), "", "under 30 s");

Console.WriteLine();
Console.WriteLine($"Tiers benchmark, {skus:N0} SKUs (price), {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC, load average {File.ReadAllText("/proc/loadavg").Split(' ')[0]} at the end");
Console.WriteLine();
Console.WriteLine("| measurement | figure | baseline | target |");
Console.WriteLine("| --- | --- | --- | --- |");
rows.ForEach(Console.WriteLine);
return 0;

string Arg(string name, string? fallback = null)
{
    var at = Array.IndexOf(args, name);
    return at >= 0 && at + 1 < args.Length ? args[at + 1] : fallback ?? throw new ArgumentException($"{name} is required.");
}

static async Task<TimeSpan> Time(Func<Task> action)
{
    var stopwatch = Stopwatch.StartNew();
    await action();
    return stopwatch.Elapsed;
}

static async Task Shell(string file, params string[] arguments)
{
    using var process = Process.Start(new ProcessStartInfo(file, arguments)) ?? throw new InvalidOperationException($"{file} did not start.");
    await process.WaitForExitAsync();
    if (process.ExitCode != 0)
    {
        throw new InvalidOperationException($"{file} exited with {process.ExitCode}.");
    }
}

static async Task<long> WarmRowsAsync(HttpClient http)
{
    using var document = JsonDocument.Parse(await http.GetStringAsync("/api/v1/tiers"));
    return document.RootElement.GetProperty("datasets").EnumerateArray().Single(d => d.GetProperty("dataset").GetString() == "price").GetProperty("warmRows").GetInt64();
}

static async Task PostFile(HttpClient http, string path, string file)
{
    await using var stream = File.OpenRead(file);
    using var content = new StreamContent(stream, 1 << 16);
    content.Headers.ContentType = new MediaTypeHeaderValue("application/x-ndjson");
    using var response = await http.PostAsync(path, content);
    await EnsureAsync(response, path);
}

static async Task<JsonElement> PostJson(HttpClient http, string path, object body)
{
    using var response = await http.PostAsJsonAsync(path, body);
    await EnsureAsync(response, path);
    return JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone();
}

static async Task EnsureAsync(HttpResponseMessage response, string path)
{
    if (!response.IsSuccessStatusCode)
    {
        var body = await response.Content.ReadAsStringAsync();
        throw new InvalidOperationException($"{path} answered {(int)response.StatusCode}: {body[..Math.Min(body.Length, 1000)]}");
    }
}

static async Task<long> CreateReleaseAsync(HttpClient http, string environment, Dictionary<string, int> versions) =>
    (await PostJson(http, "/api/v1/releases", new { environment, versions, note = "bench" })).GetProperty("release").GetProperty("id").GetInt64();

static async Task PublishAndWaitLiveAsync(HttpClient http, long release)
{
    await PostJson(http, $"/api/v1/releases/{release}/publish", new { });
    var deadline = Stopwatch.StartNew();
    while (deadline.Elapsed < TimeSpan.FromMinutes(10))
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

        await Task.Delay(50);
    }

    throw new TimeoutException($"Release {release} did not go live.");
}

static async Task WaitHeldOnlyAsync(HttpClient http, string environment, long release)
{
    for (var i = 0; i < 600; i++)
    {
        using var document = JsonDocument.Parse(await http.GetStringAsync($"/api/v1/agents?environment={environment}"));
        if (document.RootElement.EnumerateArray().All(a => a.GetProperty("heldReleases").EnumerateArray().Select(h => h.GetInt64()).SequenceEqual([release])))
        {
            return;
        }

        await Task.Delay(100);
    }

    throw new TimeoutException($"The agents of {environment} still hold more than release {release}.");
}

static async Task WaitPointerAsync(IDatabase redis, string environment, long release)
{
    var key = RedisLayout.LiveKey(environment);
    var deadline = Stopwatch.StartNew();
    while (deadline.Elapsed < TimeSpan.FromMinutes(5))
    {
        var pointer = await redis.StringGetAsync(key);
        if (pointer.HasValue && JsonDocument.Parse((string)pointer!).RootElement.GetProperty("release").GetInt64() == release)
        {
            return;
        }

        await Task.Delay(5);
    }

    throw new TimeoutException($"The pointer of {environment} did not reach release {release}.");
}

static async Task WaitForAgentAsync(HttpClient http, string environment)
{
    for (var i = 0; i < 300; i++)
    {
        using var document = JsonDocument.Parse(await http.GetStringAsync($"/api/v1/agents?environment={environment}"));
        if (document.RootElement.EnumerateArray().Any(a => a.GetProperty("status").GetString() == "ok"))
        {
            return;
        }

        await Task.Delay(100);
    }

    throw new TimeoutException($"No agent of {environment} reported.");
}
