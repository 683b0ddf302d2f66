using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using ControlPlane.Datasets;
using ControlPlane.Demo;

// The import benchmark of the foundation issue. It expects a control plane serving --api, backed by the
// PostgreSQL at --pg, running as process --cp-pid (for its peak memory); bench/run sets all of that up.
var options = BenchOptions.Parse(args);
Directory.CreateDirectory(options.OutDirectory);
var ndjsonPath = Path.Combine(options.OutDirectory, "price-1.ndjson");
var csvPath = Path.Combine(options.OutDirectory, "price-1.csv");
var reimportPath = Path.Combine(options.OutDirectory, "price-reimport.ndjson");
var deltaPath = Path.Combine(options.OutDirectory, "price-delta.ndjson");
var storePath = Path.Combine(options.OutDirectory, "price-1.store.tsv");

Console.WriteLine($"Generating {options.Skus:N0} price records ...");
WriteFiles(options.Skus, ndjsonPath, csvPath, reimportPath, deltaPath, storePath, options.ChangedSkus);

using var http = new HttpClient { BaseAddress = new Uri(options.Api), Timeout = TimeSpan.FromMinutes(10) };
var rows = new List<Row>();

// A control plane runs for days; warm it up (JIT) on the stock dataset with every kind of call measured below.
var warmupFull = Path.Combine(options.OutDirectory, "stock-warmup.ndjson");
var warmupDelta = Path.Combine(options.OutDirectory, "stock-warmup-delta.ndjson");
await File.WriteAllLinesAsync(warmupFull, Enumerable.Range(1, 50_000).Select(i => DemoCatalogue.StockLine(i)));
await File.WriteAllLinesAsync(warmupDelta, Enumerable.Range(1, 1_000).Select(i => "{\"op\":\"upsert\"," + DemoCatalogue.StockLine(i * 7, seed: 1)[1..]));
var coldImport = await Time(() => Post(http, "/api/v1/datasets/stock/versions", warmupFull));
await Post(http, "/api/v1/datasets/stock/versions?mode=delta&base=1", warmupDelta);
await Get(http, "/api/v1/datasets/stock/diff?from=1&to=2&limit=1000");
await File.WriteAllLinesAsync(warmupFull, Enumerable.Range(1, 50_000).Select(i => DemoCatalogue.StockLine(i, seed: i % 50 == 0 ? 3 : 0)));
await Post(http, "/api/v1/datasets/stock/versions", warmupFull);
Console.WriteLine($"warm-up: first import after start (50,000 stock records, cold JIT) took {coldImport.TotalSeconds:N2} s");

// Floor: psql \copy of the same rows into a plain table.
await Psql(options.PgUrl, "DROP TABLE IF EXISTS bench_floor; CREATE TABLE bench_floor (sku text, amount numeric, currency text, list_amount numeric)");
var floor = await Time(() => Psql(options.PgUrl, $"\\copy bench_floor FROM '{csvPath}' WITH (FORMAT csv, HEADER true)"));
await Psql(options.PgUrl, "DROP TABLE bench_floor");

// Second reference: the same canonical rows into a table shaped like a records partition, primary key
// included. It isolates what the versioned store itself costs PostgreSQL.
await Psql(options.PgUrl, "DROP TABLE IF EXISTS bench_store; CREATE TABLE bench_store (LIKE records_price INCLUDING ALL)");
var store = await Time(() => Psql(options.PgUrl, $"\\copy bench_store (dataset_id, sku, from_version, data) FROM '{storePath}'"));
await Psql(options.PgUrl, "DROP TABLE bench_store");

var import = await Time(() => Post(http, "/api/v1/datasets/price/versions?note=bench", ndjsonPath));
var ndjsonMb = new FileInfo(ndjsonPath).Length / 1e6;
rows.Add(new Row($"full import, {options.Skus:N0} SKUs ({ndjsonMb:N0} MB NDJSON) through the API", import,
    $"floor: psql \\copy into a plain table: {floor.TotalSeconds:N2} s", Ratio(import, floor), "within 1.5x of the floor"));
rows.Add(new Row("(reference) psql \\copy of the canonical rows into a records-shaped table with its primary key", store,
    $"floor: {floor.TotalSeconds:N2} s", Ratio(store, floor), ""));

var delta = await Time(() => Post(http, "/api/v1/datasets/price/versions?mode=delta&base=1", deltaPath));
rows.Add(new Row($"change set of {options.ChangedSkus:N0} lines on the {options.Skus:N0} base", delta, "", "", "under 1 s"));

var diffFirst = await Time(() => Get(http, "/api/v1/datasets/price/diff?from=1&to=2&limit=1000"));
rows.Add(new Row($"diff of v1 and v2 ({options.ChangedSkus:N0} SKUs differ): counts and first 1,000 items", diffFirst, "", "", "under 1 s"));
var diffAll = await Time(() => DiffAll(http, "/api/v1/datasets/price/diff?from=1&to=2&limit=1000"));
rows.Add(new Row("same diff, every item (paging through all)", diffAll, "", "", ""));

var reimport = await Time(() => Post(http, "/api/v1/datasets/price/versions?note=bench-reimport", reimportPath));
rows.Add(new Row($"full re-import, {options.Skus:N0} SKUs of which {options.ChangedSkus:N0} changed", reimport, "", "", ""));

var peakMb = PeakMemoryMb(options.ControlPlanePid);

Console.WriteLine();
Console.WriteLine($"Machine: {Environment.ProcessorCount} cores, {Environment.OSVersion}, .NET {Environment.Version}");
Console.WriteLine();
Console.WriteLine("| measurement | time | baseline | ratio | target |");
Console.WriteLine("| --- | ---: | --- | ---: | --- |");
foreach (var row in rows)
{
    Console.WriteLine($"| {row.Name} | {row.Time.TotalSeconds:N2} s | {row.Baseline} | {row.Ratio} | {row.Target} |");
}

Console.WriteLine($"| control plane peak memory (VmHWM) over the run | {peakMb:N0} MB | | | under 400 MB |");
return 0;

static string Ratio(TimeSpan value, TimeSpan baseline) => (value.TotalSeconds / baseline.TotalSeconds).ToString("N2", CultureInfo.InvariantCulture) + "x";

static async Task<TimeSpan> Time(Func<Task> action)
{
    var stopwatch = Stopwatch.StartNew();
    await action();
    return stopwatch.Elapsed;
}

static async Task Post(HttpClient http, string path, string file)
{
    await using var stream = File.OpenRead(file);
    using var content = new StreamContent(stream, 1 << 16);
    content.Headers.ContentType = new MediaTypeHeaderValue("application/x-ndjson");
    using var response = await http.PostAsync(path, content);
    var body = await response.Content.ReadAsStringAsync();
    if (!response.IsSuccessStatusCode)
    {
        throw new InvalidOperationException($"POST {path} answered {(int)response.StatusCode}: {body[..Math.Min(body.Length, 2000)]}");
    }

    Console.WriteLine($"POST {path}: {(int)response.StatusCode} {body[..Math.Min(body.Length, 300)]}");
}

static async Task Get(HttpClient http, string path)
{
    using var response = await http.GetAsync(path);
    response.EnsureSuccessStatusCode();
    await response.Content.ReadAsByteArrayAsync();
}

static async Task DiffAll(HttpClient http, string path)
{
    string? after = null;
    var items = 0;
    do
    {
        var url = after is null ? path : path + "&after=" + Uri.EscapeDataString(after);
        using var document = JsonDocument.Parse(await http.GetStringAsync(url));
        items += document.RootElement.GetProperty("items").GetArrayLength();
        after = document.RootElement.GetProperty("nextAfter").GetString();
    }
    while (after is not null);
    Console.WriteLine($"diff items: {items}");
}

static async Task Psql(string url, string command)
{
    var start = new ProcessStartInfo("psql", ["-X", "-q", "-v", "ON_ERROR_STOP=1", url, "-c", command]) { RedirectStandardError = true };
    using var process = Process.Start(start)!;
    var error = await process.StandardError.ReadToEndAsync();
    await process.WaitForExitAsync();
    if (process.ExitCode != 0)
    {
        throw new InvalidOperationException($"psql failed: {error}");
    }
}

static double PeakMemoryMb(int pid)
{
    foreach (var line in File.ReadLines($"/proc/{pid}/status"))
    {
        if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
        {
            return double.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) / 1024;
        }
    }

    return double.NaN;
}

static void WriteFiles(int skus, string ndjsonPath, string csvPath, string reimportPath, string deltaPath, string storePath, int changed)
{
    var utf8 = new UTF8Encoding(false);
    var rules = new RecordRules(DatasetDefinition.Price);
    var fields = new RecordFields();
    var noErrors = new ImportErrors();
    using (var store = new StreamWriter(storePath, false, utf8, 1 << 16))
    using (var ndjson = new StreamWriter(ndjsonPath, false, utf8, 1 << 16))
    using (var csv = new StreamWriter(csvPath, false, utf8, 1 << 16))
    using (var reimport = new StreamWriter(reimportPath, false, utf8, 1 << 16))
    {
        csv.Write("sku,amount,currency,list_amount\n");
        var every = skus / changed;
        for (var i = 1; i <= skus; i++)
        {
            var line = DemoCatalogue.PriceLine(i);
            ndjson.Write(line);
            ndjson.Write('\n');
            using var document = JsonDocument.Parse(line);
            var root = document.RootElement;
            csv.Write(string.Create(CultureInfo.InvariantCulture,
                $"{root.GetProperty("sku").GetString()},{root.GetProperty("amount").GetRawText()},{root.GetProperty("currency").GetString()},{root.GetProperty("listAmount").GetRawText()}\n"));
            fields.Clear();
            fields.Sku = root.GetProperty("sku").GetString();
            fields.Amount = root.GetProperty("amount").GetDecimal();
            fields.Currency = root.GetProperty("currency").GetString();
            fields.ListAmount = root.GetProperty("listAmount").GetDecimal();
            var canonical = rules.ValidateRecord(fields, i, noErrors) ?? throw new InvalidOperationException($"line {i} is invalid");
            store.Write(string.Create(CultureInfo.InvariantCulture, $"1\t{fields.Sku}\t1\t{canonical.Replace("\\", "\\\\", StringComparison.Ordinal)}\n"));
            reimport.Write(i % every == 0 ? DemoCatalogue.PriceLine(i, seed: 2) : line);
            reimport.Write('\n');
        }
    }

    using var delta = new StreamWriter(deltaPath, false, utf8, 1 << 16);
    var step = skus / changed;
    for (var n = 0; n < changed; n++)
    {
        var index = 1 + n * step;
        var line = DemoCatalogue.PriceLine(index, seed: 1);
        delta.Write("{\"op\":\"upsert\",");
        delta.Write(line.AsSpan(1));
        delta.Write('\n');
    }
}

internal sealed record Row(string Name, TimeSpan Time, string Baseline, string Ratio, string Target);

internal sealed record BenchOptions(string Api, string PgUrl, int ControlPlanePid, int Skus, int ChangedSkus, string OutDirectory)
{
    public static BenchOptions Parse(string[] args)
    {
        string Value(string name, string fallback)
        {
            var index = Array.IndexOf(args, name);
            return index >= 0 && index + 1 < args.Length ? args[index + 1] : fallback;
        }

        return new BenchOptions(
            Value("--api", "http://127.0.0.1:5181"),
            Value("--pg", "postgresql://controlplane@127.0.0.1:55434/controlplane"),
            int.Parse(Value("--cp-pid", "0"), CultureInfo.InvariantCulture),
            int.Parse(Value("--skus", "1000000"), CultureInfo.InvariantCulture),
            int.Parse(Value("--changed", "10000"), CultureInfo.InvariantCulture),
            Value("--out", "bench/out"));
    }
}
