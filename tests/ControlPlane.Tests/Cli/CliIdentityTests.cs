using System.Text.Json;
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
}
