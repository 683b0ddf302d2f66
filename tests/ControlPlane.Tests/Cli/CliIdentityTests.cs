using System.Text.Json;
using ControlPlane.Tests.Releases;
using ControlPlane.Tests.Support;

namespace ControlPlane.Tests.Cli;

/// <summary>cpctl with tokens: auth failures exit 4, tokens made and revoked through the CLI, the audit log read back.</summary>
public sealed class CliIdentityTests(ControlPlaneFixture fixture) : IClassFixture<ControlPlaneFixture>
{
    private CliHarness As(string? token)
    {
        var cli = new CliHarness(fixture);
        if (token is null)
        {
            cli.Variables.Remove("CP_TOKEN");
        }
        else
        {
            cli.Variables["CP_TOKEN"] = token;
        }

        return cli;
    }

    [Fact]
    public async Task A_missing_or_wrong_token_exits_4_and_so_does_a_role_that_may_not()
    {
        var missing = await As(null).RunAsync("status", "--env", "prod");
        Assert.True(missing.ExitCode == 4, missing.ToString());
        Assert.StartsWith("error: 401 ", missing.Error);

        var wrong = await As("cp_wrong").RunAsync("status", "--env", "prod");
        Assert.True(wrong.ExitCode == 4, wrong.ToString());

        var viewer = await fixture.Client.CreateTokenAsync("cli-viewer", "viewer");
        var forbidden = await As(viewer).RunAsync("release", "create", "--env", "prod", "--version", "price=1");
        Assert.True(forbidden.ExitCode == 4, forbidden.ToString());
        Assert.StartsWith("error: 403 ", forbidden.Error);

        var whoami = await As(viewer).RunAsync("whoami");
        Assert.Equal("cli-viewer (viewer)", whoami.Out.Trim());
    }

    [Fact]
    public async Task Tokens_made_and_revoked_with_the_CLI_show_in_the_audit_log()
    {
        var admin = As(ControlPlaneFixture.AdminToken);
        var made = await admin.RunAsync("token", "create", "--name", "ci-operator", "--role", "operator", "--expires-in-days", "7", "-q");
        Assert.True(made.ExitCode == 0, made.ToString());
        var token = made.Out.Trim();
        Assert.Equal("ci-operator (operator)", (await As(token).RunAsync("whoami")).Out.Trim());

        var list = await admin.RunAsync("token", "list", "-o", "json");
        using var tokens = JsonDocument.Parse(list.Out);
        var id = tokens.RootElement.EnumerateArray().Single(t => t.GetProperty("name").GetString() == "ci-operator").GetProperty("id").GetInt64();
        Assert.DoesNotContain(token, list.Out);

        var revoked = await admin.RunAsync("token", "revoke", id.ToString(System.Globalization.CultureInfo.InvariantCulture), "--reason", "rotated");
        Assert.True(revoked.ExitCode == 0, revoked.ToString());
        Assert.Equal(4, (await As(token).RunAsync("whoami")).ExitCode);

        var audit = await admin.RunAsync("audit", "--kind", "token", "--actor", ControlPlaneFixture.AdminName);
        Assert.True(audit.ExitCode == 0, audit.ToString());
        var lines = audit.Out.TrimEnd().Split('\n');
        Assert.Contains("token.revoke", lines[0]);
        Assert.EndsWith($"token:{id}  reason: rotated", lines[0]);
        Assert.Contains(lines, l => l.Contains("token.create", StringComparison.Ordinal) && l.Contains($"token:{id}", StringComparison.Ordinal));

        var json = await admin.RunAsync("audit", "--kind", "token.revoke", "--since", "2000-01-01T00:00:00Z", "-o", "json");
        using var page = JsonDocument.Parse(json.Out);
        Assert.All(page.RootElement.GetProperty("items").EnumerateArray(), e => Assert.Equal("token.revoke", e.GetProperty("kind").GetString()));
        Assert.Equal(2, (await admin.RunAsync("audit", "--since", "yesterday")).ExitCode);
    }

    [Fact]
    public async Task A_release_waiting_for_approval_exits_9_until_a_second_token_approves_it_and_a_pin_refuses_with_3()
    {
        var (environment, east, west, versions) = await CliPublishTests.SetUpAsync(fixture.Client, seed: 31);
        var admin = As(ControlPlaneFixture.AdminToken);
        var set = await admin.RunAsync("policy", "set", "--env", environment, "--approvals", "1", "--reason", "promotion week");
        Assert.True(set.ExitCode == 0, set.ToString());
        var operatorCli = As(await fixture.Client.CreateTokenAsync("ci-" + environment, "operator"));
        var approverCli = As(await fixture.Client.CreateTokenAsync("lead-" + environment, "approver"));
        var release = await CliPublishTests.CreateReleaseAsync(operatorCli, environment, versions);
        var id = release.ToString(System.Globalization.CultureInfo.InvariantCulture);

        var waiting = await operatorCli.RunAsync("publish", id, "--wait");
        Assert.True(waiting.ExitCode == 9, waiting.ToString());
        Assert.StartsWith("error: 409 Waiting for approval: ", waiting.Error);
        Assert.Contains("0 of 1 (waiting for approval)", (await operatorCli.RunAsync("status", "--release", id)).Out);

        var own = await operatorCli.RunAsync("release", "approve", id);
        Assert.True(own.ExitCode == 4, own.ToString());
        var approved = await approverCli.RunAsync("release", "approve", id, "--comment", "checked the price list", "--ack", "all");
        Assert.True(approved.ExitCode == 0, approved.ToString());
        Assert.StartsWith($"Approved release {id}: 1 of 1 approval(s); it may be published.", approved.Out);

        var pin = await admin.RunAsync("pin", "--env", environment, "--reason", "payment incident", "-q");
        var pinned = await operatorCli.RunAsync("publish", id);
        Assert.True(pinned.ExitCode == 3, pinned.ToString());
        Assert.Contains("payment incident", pinned.Error);
        Assert.Contains("payment incident", (await operatorCli.RunAsync("status", "--env", environment)).Out);
        Assert.Equal(0, (await admin.RunAsync("unpin", pin.Out.Trim(), "--env", environment, "--reason", "resolved")).ExitCode);

        var publishing = operatorCli.RunAsync("publish", id, "--wait", "--poll-interval", "50ms", "--idempotency-key", "deploy-" + id);
        await Eventually.ReadUntilAsync(() => fixture.Client.ReleaseAsync(release), r => r.State == "Staging", "the CLI started the publication");
        await fixture.Client.StageAndSwitchAsync(release, [east, west]);
        var live = await publishing;
        Assert.True(live.ExitCode == 0, live.ToString());

        var audit = await admin.RunAsync("audit", "--env", environment, "-o", "json");
        using var page = JsonDocument.Parse(audit.Out);
        var entries = page.RootElement.GetProperty("items").EnumerateArray()
            .Select(e => (Kind: e.GetProperty("kind").GetString(), Actor: e.GetProperty("actor").GetString())).ToList();
        Assert.Contains(("environment.policy", ControlPlaneFixture.AdminName), entries);
        Assert.Contains(("release.create", "ci-" + environment), entries);
        Assert.Contains(("release.approve", "lead-" + environment), entries);
        Assert.Contains(("environment.pin", ControlPlaneFixture.AdminName), entries);
        Assert.Contains(("environment.unpin", ControlPlaneFixture.AdminName), entries);
        Assert.Contains(("release.publish", "ci-" + environment), entries);
    }
}
