using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using ControlPlane.Demo;
using StackExchange.Redis;

// The activation precision benchmark of issue 6. bench/run-schedule starts PostgreSQL, the control plane and --agents
// agents (two groups, each agent with its own Redis), then runs this. It makes a chain of small price versions (each
// --changed SKUs differ from the one before) and one release per version, measures a few manual publishes as the
// baseline, then schedules --activations activations --spacing seconds apart, each pre-staged --lead seconds ahead.
// For every activation it polls every agent's live pointer in its Redis from just before activateAt until it names the
// scheduled release: the time from activateAt to that first read is the switch as a reader would see it.
var options = BenchOptions.Parse(args);
using var http = new HttpClient { BaseAddress = new Uri(options.Api), Timeout = TimeSpan.FromMinutes(2) };
if (options.Token.Length > 0)
{
    http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", options.Token);
}

var redis = options.Agents.Select(port => ConnectionMultiplexer.Connect($"127.0.0.1:{port}").GetDatabase()).ToArray();
var pointerKey = $"cp:{options.Environment}:live";

Console.WriteLine($"Importing {options.Skus:N0} SKUs, then {options.Baseline + options.Activations} price versions of {options.Changed} changed SKUs each ...");
foreach (var dataset in new[] { "price", "stock", "product" })
{
    await PostNdjsonAsync(http, $"/api/v1/datasets/{dataset}/versions", Enumerable.Range(1, options.Skus).Select(i => DemoCatalogue.LineFor(dataset)!(i, 0)));
}

var versions = await LatestVersionsAsync(http);
var first = await CreateReleaseAsync(http, options.Environment, versions);
var releases = new List<long>();
var random = new Random(6);
for (var k = 1; k <= options.Baseline + options.Activations; k++)
{
    var changes = Enumerable.Range(0, options.Changed)
        .Select(_ => random.Next(1, options.Skus + 1)).Distinct()
        .Select(i => "{\"op\":\"upsert\"," + DemoCatalogue.PriceLine(i, seed: k)[1..]);
    await PostNdjsonAsync(http, $"/api/v1/datasets/price/versions?mode=delta&base={versions["price"]}&note=schedule%20bench%20{k}", changes);
    versions = await LatestVersionsAsync(http);
    releases.Add(await CreateReleaseAsync(http, options.Environment, versions));
}

await WaitAgentsAsync(http, options.Environment, redis.Length);
Console.WriteLine($"{redis.Length} agents registered; making release {first} live ...");
await PublishAsync(http, first);
await WaitPointersAsync(redis, pointerKey, first, TimeSpan.FromMinutes(2));
await WaitPublicationLiveAsync(http, first);

// Baseline: manual publishes of the same kind of change; phase 2 is from the barrier (the control plane's stagedAt) to
// the last agent's pointer read in Redis, so it is what a scheduled activation does at its instant, ordered live.
var baseline = new List<double>();
var baselineCp = new List<double>();
for (var k = 0; k < options.Baseline; k++)
{
    var release = releases[k];
    var watch = Task.Run(() => WatchAsync(redis, pointerKey, release, DateTimeOffset.UtcNow, TimeSpan.FromSeconds(60)));
    await PublishAsync(http, release);
    var switched = await watch;
    var publication = await WaitPublicationLiveAsync(http, release);
    var barrier = publication.GetProperty("stagedAt").GetDateTimeOffset();
    var phase2 = (switched.Max(s => s.ObservedAt) - barrier).TotalMilliseconds;
    baseline.Add(phase2);
    if (publication.GetProperty("timings").GetProperty("switchingSeconds") is { ValueKind: JsonValueKind.Number } seconds)
    {
        baselineCp.Add(seconds.GetDouble() * 1000);
    }

    Console.WriteLine($"  manual publish of release {release}: phase 2 (barrier to last pointer read) {phase2:N1} ms");
}

// The schedules: all created up front, each window (pre-staging to activation) ahead of the next one's.
var firstAt = Whole(DateTimeOffset.UtcNow.AddSeconds(options.Lead + options.StartIn));
var scheduled = new List<(long Schedule, long Release, DateTimeOffset At)>();
for (var k = 0; k < options.Activations; k++)
{
    var release = releases[options.Baseline + k];
    var at = firstAt.AddSeconds(k * options.Spacing);
    using var response = await http.PostAsJsonAsync("/api/v1/schedules", new
    {
        release, activateAt = at.ToString("O", CultureInfo.InvariantCulture), leadTime = TimeSpan.FromSeconds(options.Lead).ToString("c"),
        note = $"schedule bench {k + 1}",
    });
    await EnsureAsync(response, "schedules");
    using var created = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
    scheduled.Add((created.RootElement.GetProperty("id").GetInt64(), release, at));
}

Console.WriteLine($"{scheduled.Count} activations scheduled from {firstAt:O}, {options.Spacing} s apart, lead time {options.Lead} s");
var samples = new List<Sample>();
var armedBefore = 0;
foreach (var (scheduleId, release, at) in scheduled)
{
    // Poll from a little before the instant: a switch before activateAt would show as a negative figure.
    var watchFrom = at - TimeSpan.FromMilliseconds(300);
    if (watchFrom > DateTimeOffset.UtcNow)
    {
        await Task.Delay(watchFrom - DateTimeOffset.UtcNow);
    }

    // Just before the instant the schedule should be armed: every agent holds the order, the control plane is not needed.
    var before = await GetJsonAsync(http, $"/api/v1/schedules/{scheduleId}");
    var phase = before.GetProperty("phase").GetString();
    armedBefore += phase == "armed" ? 1 : 0;
    var switched = await WatchAsync(redis, pointerKey, release, at, TimeSpan.FromSeconds(options.Spacing * 3));
    samples.AddRange(switched.Select(s => s with { ScheduleId = scheduleId }));
    var late = switched.Where(s => s.Switched).Select(s => s.LateMs).DefaultIfEmpty(double.NaN);
    Console.WriteLine($"  schedule {scheduleId} (release {release}) at {at:HH:mm:ss.fff}: phase {phase} just before; "
        + $"{switched.Count(s => s.Switched)}/{switched.Count} agents switched, last {late.Max():N1} ms after activateAt");
}

// The schedules end Completed once the agents' reports reach the control plane.
var completed = 0;
var settle = Stopwatch.StartNew();
foreach (var (scheduleId, _, _) in scheduled)
{
    while (true)
    {
        var state = (await GetJsonAsync(http, $"/api/v1/schedules/{scheduleId}")).GetProperty("state").GetString();
        if (state == "Completed" || settle.Elapsed > TimeSpan.FromSeconds(30))
        {
            completed += state == "Completed" ? 1 : 0;
            break;
        }

        await Task.Delay(100);
    }
}

var switchedSamples = samples.Where(s => s.Switched).ToList();
var observed = switchedSamples.Select(s => s.LateMs).ToList();
var reported = switchedSamples.Select(s => s.ReportedLateMs).ToList();
var early = switchedSamples.Count(s => s.LateMs < 0);
var missing = samples.Count - switchedSamples.Count;
Console.WriteLine();
Console.WriteLine($"| activation precision: {options.Activations} scheduled activations x {redis.Length} agents ({options.Skus:N0} SKUs, {options.Changed} changed each, lead {options.Lead} s) | p50 | p99 | max | target |");
Console.WriteLine("| --- | --- | --- | --- | --- |");
Console.WriteLine($"| activateAt to pointer read in each agent's Redis ({observed.Count} switches; {missing} not switched; {early} before activateAt) | {Ms(Percentile(observed, 50))} | {Ms(Percentile(observed, 99))} | {Ms(observed.DefaultIfEmpty(double.NaN).Max())} | p99 < 1 s |");
Console.WriteLine($"| activateAt to the pointer's switchedAt (agent's own clock, secondary) | {Ms(Percentile(reported, 50))} | {Ms(Percentile(reported, 99))} | {Ms(reported.DefaultIfEmpty(double.NaN).Max())} | |");
Console.WriteLine($"| baseline: manual publish, barrier to last pointer read ({baseline.Count} publishes) | {Ms(Percentile(baseline, 50))} | {Ms(Percentile(baseline, 99))} | {Ms(baseline.DefaultIfEmpty(double.NaN).Max())} | |");
Console.WriteLine($"| baseline: manual publish, switching phase as the control plane records it | {Ms(Percentile(baselineCp, 50))} | {Ms(Percentile(baselineCp, 99))} | {Ms(baselineCp.DefaultIfEmpty(double.NaN).Max())} | |");
Console.WriteLine($"| schedules armed just before their instant / Completed afterwards | {armedBefore} / {completed} of {scheduled.Count} | | | all |");
Console.WriteLine($"Redis pointers polled every ~{options.PollMs} ms per agent: a figure is the first read that named the release, so it may be up to one poll interval plus a round trip late.");
return missing == 0 && early == 0 && completed == scheduled.Count ? 0 : 1;

// Polls every agent's pointer until it names the release (or the timeout); the first read naming it counts.
async Task<List<Sample>> WatchAsync(IDatabase[] agents, string key, long release, DateTimeOffset at, TimeSpan timeout)
{
    var deadline = DateTimeOffset.UtcNow + timeout;
    var watchers = agents.Select(async (db, index) =>
    {
        while (DateTimeOffset.UtcNow < deadline)
        {
            var value = (string?)await db.StringGetAsync(key);
            var readAt = DateTimeOffset.UtcNow;
            if (value is not null)
            {
                using var pointer = JsonDocument.Parse(value);
                if (pointer.RootElement.GetProperty("release").GetInt64() == release)
                {
                    var switchedAt = pointer.RootElement.TryGetProperty("switchedAt", out var s) ? s.GetDateTimeOffset() : readAt;
                    return new Sample(0, index, true, readAt, (readAt - at).TotalMilliseconds, (switchedAt - at).TotalMilliseconds);
                }
            }

            await Task.Delay(options.PollMs);
        }

        return new Sample(0, index, false, DateTimeOffset.UtcNow, double.NaN, double.NaN);
    });
    return [.. await Task.WhenAll(watchers)];
}

static DateTimeOffset Whole(DateTimeOffset at) => new(at.UtcTicks - (at.UtcTicks % TimeSpan.TicksPerSecond), TimeSpan.Zero);

static string Ms(double ms) => double.IsNaN(ms) ? "-" : ms.ToString("N1", CultureInfo.InvariantCulture) + " ms";

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

static async Task WaitPointersAsync(IDatabase[] agents, string key, long release, TimeSpan timeout)
{
    var clock = Stopwatch.StartNew();
    foreach (var db in agents)
    {
        while (true)
        {
            var value = (string?)await db.StringGetAsync(key);
            if (value is not null && JsonDocument.Parse(value).RootElement.GetProperty("release").GetInt64() == release)
            {
                break;
            }

            if (clock.Elapsed > timeout)
            {
                throw new TimeoutException($"Release {release} did not reach every agent's Redis.");
            }

            await Task.Delay(20);
        }
    }
}

static async Task PostNdjsonAsync(HttpClient http, string path, IEnumerable<string> lines)
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

static async Task<JsonElement> GetJsonAsync(HttpClient http, string path)
{
    using var document = JsonDocument.Parse(await http.GetStringAsync(path));
    return document.RootElement.Clone();
}

static async Task<Dictionary<string, int>> LatestVersionsAsync(HttpClient http)
{
    var datasets = await GetJsonAsync(http, "/api/v1/datasets");
    return datasets.EnumerateArray().ToDictionary(d => d.GetProperty("name").GetString()!, d => d.GetProperty("latest").GetProperty("version").GetInt32());
}

static async Task<long> CreateReleaseAsync(HttpClient http, string environment, Dictionary<string, int> versions)
{
    using var response = await http.PostAsJsonAsync("/api/v1/releases", new { environment, versions, note = "schedule bench" });
    await EnsureAsync(response, "releases");
    using var document = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
    return document.RootElement.GetProperty("release").GetProperty("id").GetInt64();
}

static async Task PublishAsync(HttpClient http, long release)
{
    using var response = await http.PostAsync($"/api/v1/releases/{release}/publish", null);
    await EnsureAsync(response, "publish");
}

static async Task<JsonElement> WaitPublicationLiveAsync(HttpClient http, long release)
{
    var clock = Stopwatch.StartNew();
    while (clock.Elapsed < TimeSpan.FromMinutes(2))
    {
        var view = await GetJsonAsync(http, $"/api/v1/releases/{release}");
        var state = view.GetProperty("state").GetString();
        if (state == "Live")
        {
            return view.GetProperty("publication");
        }

        if (state is "Failed" or "Partial" or "Aborted")
        {
            throw new InvalidOperationException($"Release {release} ended {state}.");
        }

        await Task.Delay(20);
    }

    throw new TimeoutException($"Release {release} did not go live.");
}

static async Task WaitAgentsAsync(HttpClient http, string environment, int count)
{
    var clock = Stopwatch.StartNew();
    while (clock.Elapsed < TimeSpan.FromMinutes(2))
    {
        var agents = await GetJsonAsync(http, $"/api/v1/agents?environment={environment}");
        if (agents.EnumerateArray().Count(a => a.GetProperty("status").GetString() != "stale") >= count)
        {
            return;
        }

        await Task.Delay(200);
    }

    throw new TimeoutException($"{count} agents did not register.");
}

internal sealed record Sample(long ScheduleId, int Agent, bool Switched, DateTimeOffset ObservedAt, double LateMs, double ReportedLateMs);

internal sealed record BenchOptions(
    string Api, string Token, string Environment, int[] Agents, int Skus, int Changed, int Activations, int Baseline, int Spacing, int Lead,
    int StartIn, int PollMs)
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
            Get("api", "http://127.0.0.1:5184"),
            Get("token", ""),
            Get("env", "bench"),
            [.. Get("agents", "56461").Split(',').Select(p => int.Parse(p, CultureInfo.InvariantCulture))],
            Int("skus", 5000),
            Int("changed", 50),
            Int("activations", 20),
            Int("baseline", 3),
            Int("spacing", 5),
            Int("lead", 3),
            Int("start-in", 5),
            Int("poll-ms", 1));
    }
}
