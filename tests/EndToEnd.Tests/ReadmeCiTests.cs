using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using ControlPlane.Contracts;
using EndToEnd.Tests.Support;
using Xunit.Abstractions;
using Http = ControlPlane.Tests.Support.Http;

namespace EndToEnd.Tests;

/// <summary>
/// The README's CI pipeline example, run as written: its three scripts (setup, deploy, rollback) are read from README.md
/// and run by bash, calling the real cpctl as a process against the real control plane with two agent groups, real
/// agents and their Redis servers. The only additions are what a CI provides: cpctl defined as a function (which also
/// records every call's exit code), the secrets, and a smoke test for the first wave.
/// </summary>
public sealed partial class ReadmeCiTests(ITestOutputHelper output)
{
    private const int Skus = 200;

    [Fact]
    public async Task The_README_CI_example_imports_releases_gets_approved_publishes_in_two_waves_and_rolls_back_with_every_step_audited()
    {
        var scripts = ReadmeScripts();
        Assert.Equal(["setup", "deploy", "rollback"], scripts.Keys);
        // As shipped: guardrail warnings need an approver's acknowledgement whatever the policy.
        await using var cluster = await Cluster.StartAsync(output, "readme-ci",
            new ClusterOptions { EnvironmentName = "prod", RequireWarningAcknowledgement = true });
        var (east, west) = (cluster.Agent("east"), cluster.Agent("west"));

        // What was live before the pipeline ran: products first, so the first prices raise no warning.
        var initial = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var dataset in new[] { "product", "stock", "price" })
        {
            initial[dataset] = (await cluster.Api.ImportAsync(dataset, Catalogue.Snapshot(dataset, Skus, content: 1))).Version;
        }

        var (before, _) = await cluster.PublishLiveAsync(initial);
        var firstAuditId = await LastAuditIdAsync(cluster);

        using var work = new WorkFolder();
        // The new price list moves every price by more than 50%: a guardrail warning the approver must acknowledge.
        File.WriteAllText(work.File("prices.csv"),
            "sku,amount,currency\n" + string.Concat(Enumerable.Range(1, Skus).Select(i => string.Create(CultureInfo.InvariantCulture, $"{Catalogue.Sku(i)},{2000 + (i % 97)}.5,EUR\n"))));
        var liveKey = RedisLayout.LiveKey(cluster.Environment);
        File.WriteAllText(work.File("smoke-test.sh"),
            "#!/usr/bin/env bash\n" +
            $"echo \"$1\" > smoke-group.txt\n" +
            $"redis-cli -h 127.0.0.1 -p {east.Redis.Port} --raw GET '{liveKey}' > smoke-east.json\n" +
            $"redis-cli -h 127.0.0.1 -p {west.Redis.Port} --raw GET '{liveKey}' > smoke-west.json\n");
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(work.File("smoke-test.sh"), UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }

        var variables = new Dictionary<string, string>
        {
            ["CP_URL"] = cluster.ControlPlane.Address.ToString(),
            ["ADMIN_TOKEN"] = ControlPlaneServer.AdminToken,
        };

        // Setup (admin). The CI's secret store is a file here: the test keeps the two tokens the script made.
        var setup = await RunAsync(work, scripts["setup"] + "\nprintf '%s\\n' \"$OPERATOR_TOKEN\" \"$APPROVER_TOKEN\" > tokens.txt\n", variables);
        AssertSteps(setup, (0, "token create --name ci --role operator"), (0, "token create --name reviewer --role approver"), (0, "policy set --env prod --approvals 1"));
        var tokens = File.ReadAllLines(work.File("tokens.txt"));
        variables["OPERATOR_TOKEN"] = tokens[0];
        variables["APPROVER_TOKEN"] = tokens[1];

        var deploy = await RunAsync(work, scripts["deploy"], variables);
        AssertSteps(deploy,
            (0, "import price prices.csv"), (0, "release create --env prod --version price="), (0, "release approve "),
            (11, "publish "), (0, "promote "), (0, "audit --since 1h"));
        var price = (await cluster.Api.ReleaseAsync(before)).Release.Versions["price"] + 1;
        var release = (await cluster.Api.EnvironmentAsync(cluster.Environment)).LiveRelease!.Id;
        Assert.NotEqual(before, release);
        Assert.Equal(price, (await cluster.Api.ReleaseAsync(release)).Release.Versions["price"]);
        Assert.Contains($"Release {release} is Holding in prod", deploy.Out);
        Assert.Contains($"Release {release} is Live in prod", deploy.Out);

        // While the smoke test ran, east served the new release and west still the one before: two waves, for real.
        Assert.Equal("east", File.ReadAllText(work.File("smoke-group.txt")).Trim());
        Assert.Equal(release, PointerRelease(work.File("smoke-east.json")));
        Assert.Equal(before, PointerRelease(work.File("smoke-west.json")));
        await cluster.WaitPointersAsync(release);

        var rollback = await RunAsync(work, scripts["rollback"], variables);
        AssertSteps(rollback, (0, "rollback --env prod --reason"), (0, "audit --env prod --since 1h"));
        Assert.Equal(before, (await cluster.Api.EnvironmentAsync(cluster.Environment)).LiveRelease?.Id);
        await cluster.WaitPointersAsync(before);
        await cluster.AssertReadsAsync(east, await cluster.ExpectedAsync(before));
        await cluster.AssertReadsAsync(west, await cluster.ExpectedAsync(before));

        // Every step is in the audit log, in order, under the token that did it; and the scripts showed them.
        var steps = await AuditSinceAsync(cluster, firstAuditId);
        Assert.Equal(
            [
                ("token.create", "admin", null), ("token.create", "admin", null), ("environment.policy", "admin", "environment:prod"),
                ("dataset.import", "ci", $"price:{price}"), ("release.create", "ci", $"release:{release}"), ("release.approve", "reviewer", $"release:{release}"),
                ("release.publish", "ci", $"release:{release}"), ("release.promote", "ci", $"release:{release}"), ("environment.rollback", "ci", $"release:{before}"),
            ],
            steps.Select(s => (s.Kind, s.Actor, s.Kind == "token.create" ? null : s.Target)));
        // The approver acknowledged the new price list's warning (--ack all): without it the publish would be 409.
        Assert.Contains($"\"price:{price}:price-moved\"", steps.Single(s => s.Kind == "release.approve").Json, StringComparison.Ordinal);
        Assert.Equal("conversion dropped after the nightly price list", steps.Single(s => s.Kind == "environment.rollback").Reason);
        Assert.Matches(AuditLine("reviewer", "release.approve"), deploy.Out);
        Assert.Matches(AuditLine("ci", "release.promote"), deploy.Out);
        Assert.Matches(AuditLine("ci", "environment.rollback"), rollback.Out);
    }

    private static Regex AuditLine(string actor, string kind) => new($@"(?m)^\s*\d+\s+\S+\s+{Regex.Escape(actor)}\s+{Regex.Escape(kind)}\s");

    private static long PointerRelease(string path)
    {
        var text = File.ReadAllText(path).Trim();
        Assert.False(text.Length == 0, $"{Path.GetFileName(path)} is empty: no live pointer");
        return JsonSerializer.Deserialize<LivePointer>(text, Http.Json)!.Release;
    }

    private void AssertSteps(ScriptRun run, params (int ExitCode, string Command)[] expected)
    {
        Assert.True(run.ExitCode == 0, $"The script ended with {run.ExitCode}.\n{run}");
        Assert.True(expected.Length == run.Steps.Count, $"Expected {expected.Length} cpctl calls, saw {run.Steps.Count}.\n{run}");
        foreach (var ((code, command), step) in expected.Zip(run.Steps))
        {
            Assert.True(step.Command.StartsWith(command, StringComparison.Ordinal) && step.ExitCode == code,
                $"Expected 'cpctl {command}...' to exit {code}; saw 'cpctl {step.Command}' exit {step.ExitCode}.\n{run}");
        }

        output.WriteLine(run.ToString());
    }

    /// <summary>Runs a script with bash in the work folder, cpctl defined as a function over the built cpctl.dll.</summary>
    private static async Task<ScriptRun> RunAsync(WorkFolder work, string script, IReadOnlyDictionary<string, string> variables)
    {
        var steps = work.File($"steps-{Guid.NewGuid():N}.log");
        var path = work.File($"script-{Guid.NewGuid():N}.sh");
        var prelude =
            // What the README asks a CI to provide: cpctl as a function. It also notes each call and its exit code.
            "cpctl() { local s=0; dotnet \"$CPCTL_DLL\" \"$@\" || s=$?; printf '%s\\t%s\\n' \"$s\" \"$*\" >> \"$STEPS_LOG\"; return $s; }\n";
        File.WriteAllText(path, prelude + script);
        var start = new ProcessStartInfo("bash", [path])
        {
            WorkingDirectory = work.Path,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.Environment["CPCTL_DLL"] = CpctlDll();
        start.Environment["STEPS_LOG"] = steps;
        start.Environment["DOTNET_NOLOGO"] = "1";
        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        start.Environment.Remove("CP_TOKEN");
        foreach (var (name, value) in variables)
        {
            start.Environment[name] = value;
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(5));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"The script did not end in 5 minutes.\n{await stdout}\n{await stderr}");
        }

        var calls = File.Exists(steps)
            ? File.ReadAllLines(steps).Select(l => l.Split('\t', 2)).Select(p => (int.Parse(p[0], CultureInfo.InvariantCulture), p[1])).ToList()
            : [];
        return new ScriptRun(process.ExitCode, await stdout, await stderr, calls);
    }

    /// <summary>The README's scripts marked "&lt;!-- ci-script: NAME --&gt;", by name, in the order they appear.</summary>
    private static Dictionary<string, string> ReadmeScripts()
    {
        var readme = File.ReadAllText(Path.Combine(RepositoryRoot(), "README.md"));
        var scripts = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (Match match in ScriptBlock().Matches(readme))
        {
            scripts.Add(match.Groups["name"].Value, match.Groups["body"].Value);
        }

        return scripts;
    }

    private static string CpctlDll()
    {
        // The tests run from tests/EndToEnd.Tests/bin/CONFIGURATION/TFM/; cpctl was built beside them in the same configuration.
        var tfm = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
        var dll = Path.Combine(RepositoryRoot(), "src", "Cli", "bin", tfm.Parent!.Name, tfm.Name, "cpctl.dll");
        Assert.True(File.Exists(dll), $"{dll} is missing: build the solution first.");
        return dll;
    }

    private static string RepositoryRoot()
    {
        for (var folder = new DirectoryInfo(AppContext.BaseDirectory); folder is not null; folder = folder.Parent)
        {
            if (File.Exists(Path.Combine(folder.FullName, "ControlPlane.sln")))
            {
                return folder.FullName;
            }
        }

        throw new InvalidOperationException("ControlPlane.sln not found above " + AppContext.BaseDirectory);
    }

    private static async Task<long> LastAuditIdAsync(Cluster cluster)
    {
        using var page = JsonDocument.Parse(await cluster.ControlPlane.Client.GetStringAsync("api/v1/audit?limit=1"));
        return page.RootElement.GetProperty("items").EnumerateArray().Select(e => e.GetProperty("id").GetInt64()).FirstOrDefault();
    }

    private static async Task<List<AuditStep>> AuditSinceAsync(Cluster cluster, long afterId)
    {
        using var page = JsonDocument.Parse(await cluster.ControlPlane.Client.GetStringAsync("api/v1/audit?limit=200"));
        return [.. page.RootElement.GetProperty("items").EnumerateArray()
            .Where(e => e.GetProperty("id").GetInt64() > afterId)
            .Select(e => new AuditStep(
                e.GetProperty("kind").GetString()!, e.GetProperty("actor").GetString()!, e.GetProperty("target").GetString(),
                e.TryGetProperty("reason", out var reason) ? reason.GetString() : null, e.GetRawText()))
            .Reverse()];
    }

    [GeneratedRegex(@"<!-- ci-script: (?<name>[a-z]+) -->\s*```sh\n(?<body>.*?)```", RegexOptions.Singleline)]
    private static partial Regex ScriptBlock();

    private sealed record AuditStep(string Kind, string Actor, string? Target, string? Reason, string Json);

    private sealed record ScriptRun(int ExitCode, string Out, string Error, List<(int ExitCode, string Command)> Steps)
    {
        public override string ToString() =>
            $"exit {ExitCode}\n--- cpctl calls\n{string.Join('\n', Steps.Select(s => $"{s.ExitCode}\t{s.Command}"))}\n--- stdout\n{Out}\n--- stderr\n{Error}";
    }

    /// <summary>A folder of the test's own for the scripts, their inputs and outputs; deleted afterwards.</summary>
    private sealed class WorkFolder : IDisposable
    {
        public string Path { get; } = Directory.CreateTempSubdirectory("cp-readme-ci-").FullName;

        public string File(string name) => System.IO.Path.Combine(Path, name);

        public void Dispose() => Directory.Delete(Path, recursive: true);
    }
}
