using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using EndToEnd.Tests.Support;
using Xunit.Abstractions;
using Http = ControlPlane.Tests.Support.Http;

namespace EndToEnd.Tests;

/// <summary>The CI flow of the README over real HTTP: tokens per person, approval by a second token, publish, rollback, all in the audit log.</summary>
public sealed class GovernanceTests(ITestOutputHelper output)
{
    [Fact]
    public async Task A_release_made_by_CI_goes_live_after_a_second_persons_approval_and_rolls_back_with_every_step_audited()
    {
        await using var cluster = await Cluster.StartAsync(output, "governed", new ClusterOptions { RequireWarningAcknowledgement = true });
        var admin = cluster.ControlPlane.Client;
        using var ci = await ClientAsync(cluster, "ci", "operator");
        using var reviewer = await ClientAsync(cluster, "reviewer", "approver");
        using (var policy = await admin.PutAsJsonAsync($"api/v1/environments/{cluster.Environment}/policy",
                   new { requiredApprovals = 1, creatorMayApprove = false, emergencyRole = "admin", reason = "release train" }, Http.Json))
        {
            Assert.Equal(HttpStatusCode.OK, policy.StatusCode);
        }

        var asCi = new ControlPlaneApi(() => ci);
        var first = await asCi.CreateReleaseAsync(cluster.Environment, await ImportAsync(asCi, 1), "content 1");
        await ApproveAsync(reviewer, first);
        await asCi.WaitLiveAsync((await asCi.PublishAsync(first)).Id);
        var versions = await ImportAsync(asCi, 2);
        var second = await asCi.CreateReleaseAsync(cluster.Environment, versions, "content 2");

        // Without the reviewer's approval CI cannot publish, and CI cannot approve its own release.
        using (var early = await asCi.PostPublishAsync(second))
        {
            Assert.Equal(HttpStatusCode.Conflict, early.StatusCode);
            Assert.Contains("approval", await early.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        using (var self = await ci.PostAsJsonAsync($"api/v1/releases/{second}/approvals", new { comment = "me" }, Http.Json))
        {
            Assert.Equal(HttpStatusCode.Forbidden, self.StatusCode);
        }

        await ApproveAsync(reviewer, second);
        var live = await asCi.WaitLiveAsync((await asCi.PublishAsync(second)).Id);
        Assert.Equal(second, live.ReleaseId);
        await cluster.WaitPointersAsync(second);

        var rolledBack = await asCi.WaitLiveAsync((await asCi.RollbackAsync(cluster.Environment)).Id);
        Assert.Equal(first, rolledBack.ReleaseId);
        await cluster.WaitPointersAsync(first);

        using var audit = JsonDocument.Parse(await admin.GetStringAsync($"api/v1/audit?environment={cluster.Environment}&limit=50"));
        var steps = audit.RootElement.GetProperty("items").EnumerateArray()
            .Select(e => (Kind: e.GetProperty("kind").GetString(), Actor: e.GetProperty("actor").GetString(), Target: e.GetProperty("target").GetString()))
            .Reverse().ToList();
        Assert.Equal(
            [
                ("environment.policy", "admin", $"environment:{cluster.Environment}"),
                ("release.create", "ci", $"release:{first}"), ("release.approve", "reviewer", $"release:{first}"), ("release.publish", "ci", $"release:{first}"),
                ("release.create", "ci", $"release:{second}"), ("release.approve", "reviewer", $"release:{second}"), ("release.publish", "ci", $"release:{second}"),
                ("environment.rollback", "ci", $"release:{first}"),
            ],
            steps);
    }

    private static async Task<HttpClient> ClientAsync(Cluster cluster, string name, string role)
    {
        using var response = await cluster.ControlPlane.Client.PostAsJsonAsync("api/v1/tokens", new { name, role }, Http.Json);
        var created = await Http.ReadAsync<JsonElement>(response, HttpStatusCode.Created);
        var client = new HttpClient { BaseAddress = cluster.ControlPlane.Address, Timeout = TimeSpan.FromMinutes(2) };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", created.GetProperty("token").GetString());
        return client;
    }

    /// <summary>Approves, acknowledging every guardrail warning the release's versions carry.</summary>
    internal static async Task ApproveAsync(HttpClient approver, long release)
    {
        var state = await Http.GetOkAsync<JsonElement>(approver, $"api/v1/releases/{release}/approvals");
        var warnings = state.GetProperty("warnings").EnumerateArray().Select(w => w.GetProperty("id").GetString()).ToList();
        using var response = await approver.PostAsJsonAsync($"api/v1/releases/{release}/approvals",
            new { comment = "checked", acknowledgeWarnings = warnings }, Http.Json);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
    }

    private static async Task<Dictionary<string, int>> ImportAsync(ControlPlaneApi api, int content)
    {
        var versions = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var dataset in Catalogue.Datasets)
        {
            versions[dataset] = (await api.ImportAsync(dataset, Catalogue.Snapshot(dataset, 200, content, false))).Version;
        }

        return versions;
    }
}
