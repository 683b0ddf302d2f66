using System.Text.Json;
using ControlPlane.Tests.Datasets;
using ControlPlane.Tests.Support;

namespace ControlPlane.Tests.Cli;

/// <summary>cpctl import and diff against the real control plane: what is printed, what is stored, the exit codes.</summary>
public sealed class CliImportTests(ControlPlaneFixture fixture) : DatabaseTest(fixture), IClassFixture<ControlPlaneFixture>, IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("cpctl-").FullName;

    private CliHarness Cli => new(Fixture);

    private string File(string name, string content)
    {
        var path = Path.Combine(_folder, name);
        System.IO.File.WriteAllText(path, content);
        return path;
    }

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public async Task Import_of_an_ndjson_file_creates_a_version_and_the_same_content_again_creates_nothing()
    {
        var prices = Bodies.Prices(3);
        var path = File("prices.ndjson", Bodies.Ndjson(prices));

        var run = await Cli.RunAsync("import", "price", path, "--note", "list A");

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Contains("Created price version 1 (full) from " + path + ": 3 records, 3 added, 0 changed, 0 removed; " + Bodies.HashOf(prices), run.Out);
        Assert.Contains("warning: price-without-product", run.Out);
        var stored = await Client.GetOkAsync<VersionDto>("/api/v1/datasets/price/versions/1");
        Assert.Equal((3L, "list A"), (stored.Records, stored.Note));

        var again = await Cli.RunAsync("import", "price", File("again.csv", Bodies.Csv(PriceRecord.CsvHeader, prices)));
        Assert.True(again.ExitCode == 0, again.ToString());
        Assert.Contains("Unchanged", again.Out);
        Assert.Single(await Client.AllVersionsAsync("price"));
    }

    [Fact]
    public async Task Import_reads_stdin_with_the_format_flag_and_a_delta_on_a_base_prints_only_the_number_when_quiet()
    {
        var stock = new[] { new StockRecord("S-1", 5), new StockRecord("S-2", 7) };
        var first = await Cli.RunWithInputAsync(Bodies.Csv(StockRecord.CsvHeader, stock), "import", "stock", "-", "--format", "csv", "--quiet");
        Assert.True(first.ExitCode == 0, first.ToString());
        Assert.Equal("1", first.Out.Trim());

        var delta = Bodies.Lines(new StockRecord("S-1", 9).UpsertLine(), TestRecord.DeleteLine("S-2"));
        var second = await Cli.RunWithInputAsync(delta, "import", "stock", "--mode", "delta", "--base", "1", "-o", "json");

        Assert.True(second.ExitCode == 0, second.ToString());
        using var json = JsonDocument.Parse(second.Out);
        Assert.True(json.RootElement.GetProperty("created").GetBoolean());
        var version = json.RootElement.GetProperty("version");
        Assert.Equal((2, "delta", 1, 1L, 1L), (version.GetProperty("version").GetInt32(), version.GetProperty("kind").GetString(),
            version.GetProperty("baseVersion").GetInt32(), version.GetProperty("changed").GetInt64(), version.GetProperty("removed").GetInt64()));
        Assert.Equal(["S-1"], (await Client.AllRecordsAsync("stock", 2)).Select(r => r.Sku));
    }

    [Fact]
    public async Task A_bad_line_exits_3_naming_the_line_and_field_on_stderr_and_creates_nothing()
    {
        var path = File("bad.ndjson", Bodies.Lines(Bodies.Prices(1)[0].NdjsonLine(), """{"sku":"P-2","amount":"cheap","currency":"EUR"}""", """{"sku":"P-3","currency":"EUR"}"""));

        var run = await Cli.RunAsync("import", "price", path);

        Assert.True(run.ExitCode == 3, run.ToString());
        Assert.Equal("", run.Out);
        Assert.StartsWith("error: 400 Invalid import", run.Error);
        Assert.Contains("  line 2, amount: ", run.Error);
        Assert.Contains("  line 3, amount: ", run.Error);
        Assert.Empty(await Client.AllVersionsAsync("price"));
    }

    [Fact]
    public async Task Usage_mistakes_exit_2_before_anything_is_sent()
    {
        var unknownExtension = await Cli.RunAsync("import", "price", File("prices.txt", "x"));
        Assert.True(unknownExtension.ExitCode == 2, unknownExtension.ToString());
        Assert.Contains("--format", unknownExtension.Error);

        var missing = await Cli.RunAsync("import", "price", Path.Combine(_folder, "nope.ndjson"));
        Assert.True(missing.ExitCode == 2, missing.ToString());
        Assert.Contains("cannot read", missing.Error);

        var noInput = await Cli.RunAsync("import", "price");
        Assert.True(noInput.ExitCode == 2, noInput.ToString());

        var badMode = await Cli.RunAsync("import", "price", "-", "--mode", "sideways");
        Assert.True(badMode.ExitCode == 2, badMode.ToString());

        var unknownCommand = await Cli.RunAsync("launch");
        Assert.True(unknownCommand.ExitCode == 2, unknownCommand.ToString());
        Assert.Empty(await Client.AllVersionsAsync("price"));
    }

    [Fact]
    public async Task Diff_prints_counts_and_each_change_and_pages_with_all()
    {
        var prices = Bodies.Prices(5);
        await Client.ImportAsync("price", Bodies.Ndjson(prices));
        await Client.ImportAsync("price", Bodies.Ndjson([prices[0] with { Amount = 1.25m }, prices[1], prices[2], new PriceRecord("P-NEW", 3m, "EUR")]));

        var run = await Cli.RunAsync("diff", "price", "1", "2");

        Assert.True(run.ExitCode == 0, run.ToString());
        var lines = run.Out.TrimEnd().Split('\n');
        Assert.Equal("price 1 -> 2: 1 added, 1 changed, 2 removed", lines[0]);
        Assert.Equal($"~ {prices[0].Sku}  {prices[0].Canonical} -> {(prices[0] with { Amount = 1.25m }).Canonical}", lines[1]);
        Assert.Equal($"- {prices[3].Sku}  {prices[3].Canonical}", lines[2]);
        Assert.Equal($"- {prices[4].Sku}  {prices[4].Canonical}", lines[3]);
        Assert.Equal("+ P-NEW  " + new PriceRecord("P-NEW", 3m, "EUR").Canonical, lines[4]);

        var limited = await Cli.RunAsync("diff", "price", "1", "2", "--limit", "1");
        Assert.Contains("... 3 more (use --all or --limit)", limited.Out);

        var removed = await Cli.RunAsync("diff", "price", "1", "2", "--change", "removed", "-o", "json");
        using var json = JsonDocument.Parse(removed.Out);
        Assert.Equal([prices[3].Sku, prices[4].Sku], json.RootElement.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("sku").GetString()));
        Assert.Equal("removed", json.RootElement.GetProperty("items")[0].GetProperty("change").GetString());

        var unknown = await Cli.RunAsync("diff", "price", "1", "9");
        Assert.True(unknown.ExitCode == 3, unknown.ToString());
        Assert.Contains("error: 404 Not found: Dataset 'price' has no version 9.", unknown.Error);
    }

    [Fact]
    public async Task An_unreachable_control_plane_exits_5_naming_the_url()
    {
        var cli = new CliHarness(Fixture) { Network = true };

        var run = await cli.RunAsync("status", "--env", "prod", "--url", "http://127.0.0.1:9/");

        Assert.True(run.ExitCode == 5, run.ToString());
        Assert.Contains("cannot reach the control plane at http://127.0.0.1:9/", run.Error);
    }
}
