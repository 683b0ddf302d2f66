using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using ControlPlane.Tests.Releases;
using ControlPlane.Tests.Support;

namespace ControlPlane.Tests.Cli;

/// <summary>
/// cpctl release create, publish --wait, rollback and status against the real control plane, with test agents
/// reporting through the agent protocol as real agents do.
/// </summary>
public sealed partial class CliPublishTests(ControlPlaneFixture fixture) : IClassFixture<ControlPlaneFixture>
{
    private HttpClient Client => fixture.Client;

    private CliHarness Cli => new(fixture);

    internal static async Task<(string Environment, TestAgent East, TestAgent West, Dictionary<string, int> Versions)> SetUpAsync(HttpClient client, int seed)
    {
        var environment = await client.NewEnvironmentAsync("east", "west");
        var east = await TestAgent.RegisterAsync(client, environment + "-east-1", environment, "east");
        var west = await TestAgent.RegisterAsync(client, environment + "-west-1", environment, "west");
        return (environment, east, west, await client.ImportCatalogueAsync(seed));
    }

    internal static async Task<long> CreateReleaseAsync(CliHarness cli, string environment, Dictionary<string, int> versions)
    {
        var run = await cli.RunAsync(["release", "create", "--env", environment, .. versions.SelectMany(v => new[] { "--version", $"{v.Key}={v.Value}" }), "--quiet"]);
        Assert.True(run.ExitCode == 0, run.ToString());
        return long.Parse(run.Out.Trim(), CultureInfo.InvariantCulture);
    }

    [Fact]
    public async Task Publish_wait_prints_timestamped_progress_in_CI_and_exits_0_when_Live()
    {
        var (environment, east, west, versions) = await SetUpAsync(Client, seed: 11);
        var release = await CreateReleaseAsync(Cli, environment, versions);
        Assert.Equal(versions, (await Client.ReleaseAsync(release)).Release.Versions);

        var publishing = Cli.RunAsync("publish", release.ToString(CultureInfo.InvariantCulture), "--wait", "--poll-interval", "50ms", "--timeout", "2m");
        await Eventually.ReadUntilAsync(() => Client.ReleaseAsync(release), r => r.State == "Staging", "the CLI started the publication");
        await east.StagingAsync(release, versions["price"], staged: 5, total: 20);
        await Client.StageAndSwitchAsync(release, [east, west]);
        var run = await publishing;

        Assert.True(run.ExitCode == 0, run.ToString());
        var publication = await Client.PublicationOfAsync(release);
        Assert.StartsWith($"Release {release} is Live in {environment} (publication {publication.Id}, generation {publication.Generation}) (staging ", run.Out);
        var lines = run.Error.TrimEnd().Split('\n');
        Assert.Equal($"Started publish {publication.Id}: release {release} to {environment} on 2 agent(s).", lines[0]);
        Assert.All(lines.Skip(1), line => Assert.Matches(Stamp(), line));
        Assert.Contains(lines, l => l.EndsWith($"publish {publication.Id} (release {release} to {environment}): Staging, staged 0/2, switched 0/2", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.EndsWith($"publish {publication.Id} (release {release} to {environment}): Live, staged 2/2, switched 2/2", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.EndsWith($"  agent {east.Id} (east): Switched", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.EndsWith($"  agent {west.Id} (west): Switched", StringComparison.Ordinal));
        Assert.DoesNotContain("\r", run.Error);
    }

    [Fact]
    public async Task On_a_terminal_publish_wait_draws_a_progress_bar_in_place()
    {
        var (environment, east, west, versions) = await SetUpAsync(Client, seed: 12);
        var release = await CreateReleaseAsync(Cli, environment, versions);
        var cli = new CliHarness(fixture) { Interactive = true };

        var publishing = cli.RunAsync("publish", release.ToString(CultureInfo.InvariantCulture), "--wait", "--poll-interval", "50ms");
        await Eventually.ReadUntilAsync(() => Client.ReleaseAsync(release), r => r.State == "Staging", "the CLI started the publication");
        await Client.StageAndSwitchAsync(release, [east, west]);
        var run = await publishing;

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Contains("\r\u001b[2Kpublish ", run.Error);
        Assert.Contains($"[{new string('#', 30)}] Live", run.Error);
        Assert.DoesNotMatch(Stamp(), run.Error);
        Assert.Contains($"Release {release} is Live in {environment}", run.Out);
    }

    [Fact]
    public async Task Publish_wait_exits_8_at_the_timeout_and_the_publication_goes_on()
    {
        var (environment, _, _, versions) = await SetUpAsync(Client, seed: 13);
        var release = await CreateReleaseAsync(Cli, environment, versions);

        var run = await Cli.RunAsync("publish", release.ToString(CultureInfo.InvariantCulture), "--wait", "--timeout", "300ms", "--poll-interval", "50ms");

        Assert.True(run.ExitCode == 8, run.ToString());
        var publication = await Client.PublicationOfAsync(release);
        Assert.Contains($"Timed out after 300 ms: publication {publication.Id} is still Staging; it goes on. Follow it with: cpctl status --publication {publication.Id}", run.Error);
        Assert.Equal("Staging", publication.State);
        Assert.Equal("", run.Out);
    }

    [Fact]
    public async Task Rollback_wait_makes_the_previous_release_live_and_prints_the_publication_as_json()
    {
        var (environment, east, west, versions) = await SetUpAsync(Client, seed: 14);
        var first = await CreateReleaseAsync(Cli, environment, versions);
        await Client.MakeLiveAsync(first, [east, west]);
        var second = await CreateReleaseAsync(Cli, environment, await Client.ImportCatalogueAsync(seed: 15));
        await Client.MakeLiveAsync(second, [east, west]);

        var rollingBack = Cli.RunAsync("rollback", "--env", environment, "--wait", "--poll-interval", "50ms", "-o", "json");
        var switching = await Eventually.ReadUntilAsync(() => Client.EnvironmentAsync(environment), e => e.InFlight?.Kind == "rollback", "the CLI started the rollback");
        await east.SwitchAsync(first, switching.InFlight!.Generation!.Value);
        await west.SwitchAsync(first, switching.InFlight!.Generation!.Value);
        var run = await rollingBack;

        Assert.True(run.ExitCode == 0, run.ToString());
        using var json = JsonDocument.Parse(run.Out);
        Assert.Equal(("rollback", "Live", first, second), (json.RootElement.GetProperty("kind").GetString(), json.RootElement.GetProperty("state").GetString(),
            json.RootElement.GetProperty("releaseId").GetInt64(), json.RootElement.GetProperty("previousReleaseId").GetInt64()));
        Assert.Equal(first, (await Client.EnvironmentAsync(environment)).LiveRelease?.Id);

        var unknown = await Cli.RunAsync("rollback", "--env", environment, "--to", "987654");
        Assert.True(unknown.ExitCode == 3, unknown.ToString());
        Assert.Contains($"error: 404 Not found: Release 987654 is not a release of environment '{environment}'.", unknown.Error);
    }

    [Fact]
    public async Task Status_shows_the_environment_a_release_and_a_publication()
    {
        var (environment, east, west, versions) = await SetUpAsync(Client, seed: 16);
        var release = await CreateReleaseAsync(Cli, environment, versions);
        var publication = await Client.MakeLiveAsync(release, [east, west]);

        var env = await Cli.RunAsync("status", "--env", environment);
        Assert.True(env.ExitCode == 0, env.ToString());
        Assert.Contains($"Environment {environment} (generation {publication.Generation})", env.Out);
        Assert.Contains($"  live:      release {release} since ", env.Out);
        Assert.Matches($@"  {Regex.Escape(east.Id)}\s+east\s+\w+\s+{release}\s", env.Out);
        Assert.Matches($@"  {Regex.Escape(west.Id)}\s+west\s+\w+\s+{release}\s", env.Out);

        var rel = await Cli.RunAsync("status", "--release", release.ToString(CultureInfo.InvariantCulture));
        Assert.Contains($"Release {release} for {environment}: Live", rel.Out);
        Assert.Contains($"Publication {publication.Id} (publish of release {release} to {environment}): Live", rel.Out);

        var pub = await Cli.RunAsync("status", "--publication", publication.Id.ToString(CultureInfo.InvariantCulture), "-o", "json");
        using var json = JsonDocument.Parse(pub.Out);
        Assert.Equal([east.Id, west.Id], json.RootElement.GetProperty("agents").EnumerateArray().Select(a => a.GetProperty("agentId").GetString()).Order());

        var none = await Cli.RunAsync("status");
        Assert.True(none.ExitCode == 2, none.ToString());
        var unknown = await Cli.RunAsync("status", "--env", "no-such-env");
        Assert.True(unknown.ExitCode == 3, unknown.ToString());
    }

    [Fact]
    public async Task Settings_come_from_environment_variables_when_no_flag_is_given()
    {
        var (environment, _, _, versions) = await SetUpAsync(Client, seed: 17);
        var cli = Cli;
        cli.Variables["CP_URL"] = "http://localhost/";
        cli.Variables["CP_OUTPUT"] = "json";
        cli.Variables["CP_TOKEN"] = await Client.CreateTokenAsync("ci-bot", "operator");

        var run = await cli.RunAsync("release", "create", "--env", environment, "--latest", "--note", "nightly");

        Assert.True(run.ExitCode == 0, run.ToString());
        using var json = JsonDocument.Parse(run.Out);
        var release = json.RootElement.GetProperty("release");
        Assert.Equal(("ci-bot", "nightly", "Pending"), (release.GetProperty("createdBy").GetString(), release.GetProperty("note").GetString(), json.RootElement.GetProperty("state").GetString()));
        Assert.Equal(versions.Keys.Order(), release.GetProperty("versions").EnumerateObject().Select(p => p.Name).Order());

        cli.Variables["CP_URL"] = "ftp://nowhere";
        var badUrl = await cli.RunAsync("status", "--env", environment);
        Assert.True(badUrl.ExitCode == 2, badUrl.ToString());
        var flagWins = await cli.RunAsync("status", "--env", environment, "--url", "http://localhost/", "-o", "text");
        Assert.True(flagWins.ExitCode == 0, flagWins.ToString());
        Assert.StartsWith($"Environment {environment}", flagWins.Out);
    }

    [Fact]
    public async Task Release_create_rejects_versions_that_do_not_exist_with_exit_3_and_a_malformed_pair_with_exit_2()
    {
        var (environment, _, _, _) = await SetUpAsync(Client, seed: 18);

        var missing = await Cli.RunAsync("release", "create", "--env", environment, "--version", "price=9999");
        Assert.True(missing.ExitCode == 3, missing.ToString());
        Assert.Contains("error: 400 Invalid release", missing.Error);
        Assert.Contains("  versions.price: dataset 'price' has no version 9999", missing.Error);

        var malformed = await Cli.RunAsync("release", "create", "--env", environment, "--version", "price");
        Assert.True(malformed.ExitCode == 2, malformed.ToString());
        var nothing = await Cli.RunAsync("release", "create", "--env", environment);
        Assert.True(nothing.ExitCode == 2, nothing.ToString());
    }

    [GeneratedRegex(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ ")]
    private static partial Regex Stamp();
}
