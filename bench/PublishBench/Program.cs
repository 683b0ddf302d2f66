using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using ControlPlane.Contracts;
using ControlPlane.Demo;
using ControlPlane.Reader;
using StackExchange.Redis;

// The publish / rollback benchmark of the agents issue. bench/run-publish starts PostgreSQL, the control plane,
// one agent for environment "bench" (Redis --big), ten agents for environment "fleet" (Redis --fleet ports) and an
// empty Redis for the floor (--floor), then runs this.
var options = PublishBenchOptions.Parse(args);
Directory.CreateDirectory(options.OutDirectory);
using var http = new HttpClient { BaseAddress = new Uri(options.Api), Timeout = TimeSpan.FromMinutes(10) };
// The bench acts as admin (Identity:BootstrapAdminToken of the run); fan-out agents get agent tokens of their own.
http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", options.Token
    ?? throw new InvalidOperationException("--token (an admin token) is required: bench/run-publish passes the run's bootstrap token."));
var rows = new List<string>();
void Row(string name, string value, string baseline, string target) => rows.Add($"| {name} | {value} | {baseline} | {target} |");
static string Seconds(TimeSpan t) => t.TotalSeconds.ToString("N2", CultureInfo.InvariantCulture) + " s";
static string Ms(double ms) => ms.ToString("N1", CultureInfo.InvariantCulture) + " ms";

var big = ConnectionMultiplexer.Connect($"127.0.0.1:{options.BigRedisPort},allowAdmin=true");
var bigDb = big.GetDatabase();

// 1. A 1,000,000-SKU catalogue in all three datasets.
Console.WriteLine($"Importing {options.Skus:N0} SKUs into price, stock and product ...");
foreach (var dataset in new[] { "price", "stock", "product" })
{
    var file = Path.Combine(options.OutDirectory, $"{dataset}.ndjson");
    await using (var stream = File.Create(file))
    {
        DemoCatalogue.Write(dataset, options.Skus, stream);
    }

    var took = await Time(() => PostFile(http, $"/api/v1/datasets/{dataset}/versions", file));
    Console.WriteLine($"  {dataset}: {Seconds(took)}");
}

await WaitForAgentsAsync(http, "bench", 1);
var memoryBefore = UsedMemory(big);
var releaseA = await CreateReleaseAsync(http, "bench", new() { ["price"] = 1, ["stock"] = 1, ["product"] = 1 });
var fullPublish = await Time(() => PublishAndWaitLiveAsync(http, releaseA));
var memoryA = UsedMemory(big);

// Floor: the same 3,000,000 values loaded into an empty Redis by redis-cli --pipe.
var floorFile = Path.Combine(options.OutDirectory, "floor.resp");
await WriteFloorFileAsync(http, floorFile, options.Skus);
var floor = await Time(() => RunPipeAsync(floorFile, options.FloorRedisPort));
Row($"full publish, {options.Skus:N0} SKUs x 3 datasets, one agent: publish call to Live", Seconds(fullPublish),
    $"redis-cli --pipe of the same values: {Seconds(floor)} ({fullPublish.TotalSeconds / floor.TotalSeconds:N2}x)", "under 10 s, within 2x of the floor");

// 2. A release that differs from the live one in 10,000 SKUs.
var deltaFile = Path.Combine(options.OutDirectory, "price-delta.ndjson");
await File.WriteAllLinesAsync(deltaFile, Enumerable.Range(0, options.Changed)
    .Select(n => "{\"op\":\"upsert\"," + DemoCatalogue.PriceLine(1 + n * (options.Skus / options.Changed), seed: 7)[1..]));
await PostFile(http, "/api/v1/datasets/price/versions?mode=delta&base=1", deltaFile);
var releaseB = await CreateReleaseAsync(http, "bench", new() { ["price"] = 2, ["stock"] = 1, ["product"] = 1 });
var deltaPublish = await Time(() => PublishAndWaitLiveAsync(http, releaseB));
var memoryB = UsedMemory(big);
Row($"publish of a release differing in {options.Changed:N0} SKUs: publish call to Live", Seconds(deltaPublish), "", "under 1 s");

// 3. Rollback with one agent, then with ten.
var rollbackOne = await Time(async () =>
{
    await PostJson(http, "/api/v1/environments/bench/rollback", new { });
    await WaitPointerAsync([bigDb], "bench", releaseA);
});
Row("rollback to the previous (hot) release, one agent: API call to pointer switched", Ms(rollbackOne.TotalMilliseconds), "", "");

var fleet = options.FleetPorts.Select(p => ConnectionMultiplexer.Connect($"127.0.0.1:{p}").GetDatabase()).ToArray();
await WaitForAgentsAsync(http, "fleet", fleet.Length);
await PostFile(http, "/api/v1/datasets/price/versions?allowEmpty=false", WriteSmall(options.OutDirectory, "price", 1000, 0));
await PostFile(http, "/api/v1/datasets/stock/versions", WriteSmall(options.OutDirectory, "stock", 1000, 0));
await PostFile(http, "/api/v1/datasets/product/versions", WriteSmall(options.OutDirectory, "product", 1000, 0));
await PostFile(http, "/api/v1/datasets/price/versions", WriteSmall(options.OutDirectory, "price", 1000, 3));
var fleetOne = await CreateReleaseAsync(http, "fleet", new() { ["price"] = 3, ["stock"] = 2, ["product"] = 2 });
var fleetTwo = await CreateReleaseAsync(http, "fleet", new() { ["price"] = 4, ["stock"] = 2, ["product"] = 2 });
await PublishAndWaitLiveAsync(http, fleetOne);
await PublishAndWaitLiveAsync(http, fleetTwo);
var rollbackTimes = new List<double>();
var target = fleetOne;
for (var i = 0; i < options.Rollbacks; i++)
{
    var stopwatch = Stopwatch.StartNew();
    await PostJson(http, "/api/v1/environments/fleet/rollback", new { });
    await WaitPointerAsync(fleet, "fleet", target);
    rollbackTimes.Add(stopwatch.Elapsed.TotalMilliseconds);
    await WaitLiveAsync(http, target);
    if (options.Verbose)
    {
        using var view = JsonDocument.Parse(await http.GetStringAsync($"/api/v1/releases/{target}"));
        Console.WriteLine($"rollback {i}: {rollbackTimes[^1]:N0} ms; publication {view.RootElement.GetProperty("publication").GetProperty("timings")}");
    }
    target = target == fleetOne ? fleetTwo : fleetOne;
}

Row($"rollback to the previous (hot) release, {fleet.Length} agents: API call to every pointer switched, {options.Rollbacks} runs",
    $"p50 {Ms(Percentile(rollbackTimes, 50))}, p99 {Ms(Percentile(rollbackTimes, 99))}", "", "p99 under 250 ms");

// 4. A desired-state change reaching ten long-polling agents (protocol clients in environment "fanout").
var fanout = await FanoutAsync(http, options.FanoutAgents, options.FanoutRounds);
Row($"desired-state change reaching {options.FanoutAgents} long-polling agents, {options.FanoutRounds} changes",
    $"p50 {Ms(Percentile(fanout, 50))}, p99 {Ms(Percentile(fanout, 99))}", "", "p99 under 100 ms");

// 5. Consistent reads through the function beside plain GETs, same client, same Redis.
await PostJson(http, "/api/v1/environments/bench/rollback", new { toRelease = releaseB });
await WaitPointerAsync([bigDb], "bench", releaseB);
var (functionRate, getRate) = await ReadThroughputAsync(big, options.Skus, options.ReadSeconds, options.ReadConcurrency);
Row($"consistent reads, one SKU x 3 datasets via FCALL_RO cp_get ({options.ReadConcurrency} concurrent callers)",
    $"{functionRate:N0} reads/s", $"plain GET of one key: {getRate:N0} reads/s ({functionRate / getRate:P0})", "at least 50% of GET");

// The same comparison with redis-benchmark (a C client) on both sides: what Redis itself does per read.
var sku = DemoCatalogue.Sku(options.Skus / 2);
var functionNative = await RedisBenchmarkAsync(options.BigRedisPort, options.ReadConcurrency, $"FCALL_RO cp_get 1 {RedisLayout.LiveKey("bench")} {sku}");
var getNative = await RedisBenchmarkAsync(options.BigRedisPort, options.ReadConcurrency, "GET bench:plain");
Row($"the same reads with redis-benchmark as the client ({options.ReadConcurrency} connections)",
    $"{functionNative:N0} reads/s", $"GET of one key: {getNative:N0} reads/s ({functionNative / getNative:P0})", "");

Row($"Redis memory per hot release of {options.Skus:N0} SKUs x 3 datasets", $"{(memoryA - memoryBefore) / 1e6:N0} MB", "", "");
Row($"Redis memory added by a release differing in {options.Changed:N0} SKUs (1%)", $"{(memoryB - memoryA) / 1e6:N1} MB", "", "");

Console.WriteLine();
Console.WriteLine($"Machine: {Environment.ProcessorCount} cores, .NET {Environment.Version}");
Console.WriteLine();
Console.WriteLine("| measurement | figure | baseline | target |");
Console.WriteLine("| --- | --- | --- | --- |");
rows.ForEach(Console.WriteLine);
return 0;

static async Task<TimeSpan> Time(Func<Task> action)
{
    var stopwatch = Stopwatch.StartNew();
    await action();
    return stopwatch.Elapsed;
}

static double Percentile(List<double> values, int percentile)
{
    var sorted = values.Order().ToList();
    var rank = (int)Math.Ceiling(percentile / 100.0 * sorted.Count) - 1;
    return sorted[Math.Clamp(rank, 0, sorted.Count - 1)];
}

static long UsedMemory(ConnectionMultiplexer redis)
{
    var info = redis.GetServer(redis.GetEndPoints()[0]).Info("memory");
    return long.Parse(info.SelectMany(g => g).First(p => p.Key == "used_memory").Value, CultureInfo.InvariantCulture);
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
            throw new InvalidOperationException($"Release {release} ended {state}: {document.RootElement.GetProperty("publication").GetProperty("reason")}");
        }

        await Task.Delay(20);
    }

    throw new TimeoutException($"Release {release} did not go live.");
}

static async Task WaitPointerAsync(IDatabase[] redis, string environment, long release)
{
    var key = RedisLayout.LiveKey(environment);
    var deadline = Stopwatch.StartNew();
    while (deadline.Elapsed < TimeSpan.FromMinutes(1))
    {
        var pointers = await Task.WhenAll(redis.Select(r => r.StringGetAsync(key)));
        if (pointers.All(p => p.HasValue && JsonDocument.Parse((string)p!).RootElement.GetProperty("release").GetInt64() == release))
        {
            return;
        }

        await Task.Delay(1);
    }

    throw new TimeoutException($"Pointers of {environment} did not reach release {release}.");
}

static async Task WaitForAgentsAsync(HttpClient http, string environment, int count)
{
    for (var i = 0; i < 300; i++)
    {
        using var document = JsonDocument.Parse(await http.GetStringAsync($"/api/v1/agents?environment={environment}"));
        if (document.RootElement.EnumerateArray().Count(a => a.GetProperty("status").GetString() == "ok") >= count)
        {
            return;
        }

        await Task.Delay(100);
    }

    throw new TimeoutException($"{count} agents of {environment} did not report.");
}

static string WriteSmall(string directory, string dataset, int count, int seed)
{
    var file = Path.Combine(directory, $"{dataset}-small-{seed}.ndjson");
    var line = DemoCatalogue.LineFor(dataset)!;
    File.WriteAllLines(file, Enumerable.Range(1, count).Select(i => line(i, i % 100 == 0 ? seed : 0)));
    return file;
}

// The floor's input: the members the agent writes for layer 1, as RESP ZADD commands, fetched from the API.
static async Task WriteFloorFileAsync(HttpClient http, string file, int skus)
{
    await using var output = new BufferedStream(File.Create(file), 1 << 20);
    var layer = 0;
    foreach (var dataset in new[] { "price", "stock", "product" })
    {
        layer++;
        string? after = null;
        do
        {
            var url = $"/api/v1/datasets/{dataset}/versions/1/changes?limit=50000" + (after is null ? "" : "&after=" + Uri.EscapeDataString(after));
            using var response = await http.GetAsync(url);
            response.EnsureSuccessStatusCode();
            var body = await response.Content.ReadAsStringAsync();
            foreach (var line in body.Split('\n', StringSplitOptions.RemoveEmptyEntries))
            {
                using var document = JsonDocument.Parse(line);
                var sku = document.RootElement.GetProperty("sku").GetString()!;
                var data = document.RootElement.GetProperty("data").GetRawText();
                WriteCommand(output, "ZADD", RedisLayout.RecordKey("floor", dataset, sku), layer.ToString(CultureInfo.InvariantCulture), RedisLayout.Member(layer, data));
            }

            after = response.Headers.TryGetValues(ChunkHeaders.NextAfter, out var next) ? Uri.UnescapeDataString(next.First()) : null;
        }
        while (after is not null);
    }

    static void WriteCommand(Stream output, params string[] parts)
    {
        var builder = new StringBuilder().Append('*').Append(parts.Length).Append("\r\n");
        foreach (var part in parts)
        {
            builder.Append('$').Append(Encoding.UTF8.GetByteCount(part)).Append("\r\n").Append(part).Append("\r\n");
        }

        output.Write(Encoding.UTF8.GetBytes(builder.ToString()));
    }
}

static async Task RunPipeAsync(string file, int port)
{
    var start = new ProcessStartInfo("bash", ["-c", $"redis-cli -h 127.0.0.1 -p {port} --pipe < '{file}'"]) { RedirectStandardOutput = true };
    using var process = Process.Start(start)!;
    var output = await process.StandardOutput.ReadToEndAsync();
    await process.WaitForExitAsync();
    if (process.ExitCode != 0 || !output.Contains("errors: 0", StringComparison.Ordinal))
    {
        throw new InvalidOperationException($"redis-cli --pipe failed: {output}");
    }
}

// Protocol clients stand in for agents here: what is measured is the control plane's fan-out, not Redis work.
static async Task<List<double>> FanoutAsync(HttpClient admin, int agents, int rounds)
{
    var ids = Enumerable.Range(0, agents).Select(i => $"fanout-{i}").ToArray();
    // Each protocol client acts with an agent token bound to its id, as a real agent does.
    var clients = new Dictionary<string, HttpClient>(StringComparer.Ordinal);
    foreach (var id in ids)
    {
        var token = (await PostJson(admin, "/api/v1/tokens", new { name = id, role = "agent", agentId = id })).GetProperty("token").GetString();
        var client = new HttpClient { BaseAddress = admin.BaseAddress, Timeout = admin.Timeout };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        clients[id] = client;
        await PostJson(client, "/api/v1/agents/register", new AgentRegistration(id, "fanout", "g"));
    }

    try
    {
        return await FanoutRoundsAsync(admin, ids, clients, rounds);
    }
    finally
    {
        foreach (var client in clients.Values)
        {
            client.Dispose();
        }
    }
}

static async Task<List<double>> FanoutRoundsAsync(HttpClient http, string[] ids, Dictionary<string, HttpClient> clients, int rounds)
{
    var held = new List<HeldRelease>();
    async Task ReportAsync(long? live, long generation)
    {
        foreach (var id in ids)
        {
            using var response = await clients[id].PostAsJsonAsync($"/api/v1/agents/{id}/report",
                new AgentReport(DateTimeOffset.UtcNow, live, generation, held, null, null), PublicationJson.Options);
            await EnsureAsync(response, "report");
        }
    }

    await ReportAsync(null, 0);
    var latencies = new List<double>();
    long? liveRelease = null;
    long liveGeneration = 0;
    for (var round = 0; round < rounds; round++)
    {
        var release = await CreateReleaseAsync(http, "fanout", new() { ["price"] = 3 });
        var etags = await Task.WhenAll(ids.Select(async id => (await DesiredAsync(clients[id], id, null, 0)).ETag));
        var polls = ids.Select((id, i) => Task.Run(async () =>
        {
            await DesiredAsync(clients[id], id, etags[i], 30);
            return Stopwatch.GetTimestamp();
        })).ToArray();
        await Task.Delay(200);
        var started = Stopwatch.GetTimestamp();
        await PostJson(http, $"/api/v1/releases/{release}/publish", new { });
        foreach (var returnedAt in await Task.WhenAll(polls))
        {
            latencies.Add(Stopwatch.GetElapsedTime(started, returnedAt).TotalMilliseconds);
        }

        // Finish the publication as agents would: staged, then switched at the barrier's generation.
        held = [new HeldRelease(release, new Dictionary<string, int> { ["price"] = 1 })];
        await ReportAsync(liveRelease, liveGeneration);
        var order = (await DesiredAsync(clients[ids[0]], ids[0], null, 0)).Live!;
        (liveRelease, liveGeneration) = (order.ReleaseId, order.Generation);
        await ReportAsync(liveRelease, liveGeneration);
        await WaitLiveAsync(http, release);
    }

    return latencies;
}

static async Task<DesiredState> DesiredAsync(HttpClient http, string id, string? known, int waitSeconds)
{
    var url = $"/api/v1/agents/{id}/desired?waitSeconds={waitSeconds}" + (known is null ? "" : "&known=" + known);
    return (await http.GetFromJsonAsync<DesiredState>(url, PublicationJson.Options))!;
}

static async Task<(double Function, double Get)> ReadThroughputAsync(ConnectionMultiplexer redis, int skus, int seconds, int concurrency)
{
    var database = redis.GetDatabase();
    var reader = new PromotionDataReader(new StackExchangeRedisClient(database), "bench");
    var sample = await reader.GetAsync(DemoCatalogue.Sku(1)) ?? throw new InvalidOperationException("Nothing is live in bench.");
    await database.StringSetAsync("bench:plain", sample["price"]);

    async Task<double> RunAsync(Func<int, Task> read)
    {
        long count = 0;
        var until = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, concurrency).Select(worker => Task.Run(async () =>
        {
            var random = new Random(worker);
            while (until.Elapsed < TimeSpan.FromSeconds(seconds))
            {
                await read(random.Next(1, skus + 1));
                Interlocked.Increment(ref count);
            }
        })));
        return count / until.Elapsed.TotalSeconds;
    }

    var get = await RunAsync(_ => database.StringGetAsync("bench:plain"));
    var function = await RunAsync(async index =>
    {
        if (await reader.GetAsync(DemoCatalogue.Sku(index)) is not { } data || data["price"] is null)
        {
            throw new InvalidOperationException($"SKU {index} read nothing.");
        }
    });
    return (function, get);
}

static async Task<double> RedisBenchmarkAsync(int port, int clients, string command)
{
    var start = new ProcessStartInfo("bash", ["-c", $"redis-benchmark -h 127.0.0.1 -p {port} -n 300000 -c {clients} -q {command} | tr '\\r' '\\n' | tail -1"])
    {
        RedirectStandardOutput = true,
    };
    using var process = Process.Start(start)!;
    var output = await process.StandardOutput.ReadToEndAsync();
    await process.WaitForExitAsync();
    var match = System.Text.RegularExpressions.Regex.Match(output, @"([0-9.]+) requests per second");
    return match.Success ? double.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture) : throw new InvalidOperationException($"redis-benchmark: {output}");
}

internal static class PublicationJson
{
    public static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web);
}

internal sealed record PublishBenchOptions(
    string Api, int BigRedisPort, int FloorRedisPort, int[] FleetPorts, int Skus, int Changed, int Rollbacks,
    int FanoutAgents, int FanoutRounds, int ReadSeconds, int ReadConcurrency, string OutDirectory, bool Verbose, string? Token)
{
    public static PublishBenchOptions Parse(string[] args)
    {
        string Value(string name, string fallback)
        {
            var index = Array.IndexOf(args, name);
            return index >= 0 && index + 1 < args.Length ? args[index + 1] : fallback;
        }

        int Number(string name, int fallback) => int.Parse(Value(name, fallback.ToString(CultureInfo.InvariantCulture)), CultureInfo.InvariantCulture);
        return new PublishBenchOptions(
            Value("--api", "http://127.0.0.1:5182"),
            Number("--big", 56401),
            Number("--floor", 56402),
            [.. Value("--fleet", "56411").Split(',').Select(p => int.Parse(p, CultureInfo.InvariantCulture))],
            Number("--skus", 1_000_000),
            Number("--changed", 10_000),
            Number("--rollbacks", 40),
            Number("--fanout-agents", 10),
            Number("--fanout-rounds", 20),
            Number("--read-seconds", 5),
            Number("--read-concurrency", 16),
            Value("--out", "bench/out"),
            args.Contains("--verbose"),
            Value("--token", "") is { Length: > 0 } token ? token : null);
    }
}
