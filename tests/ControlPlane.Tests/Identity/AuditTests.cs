using System.Net;
using ControlPlane.Tests.Datasets;
using ControlPlane.Tests.Releases;
using ControlPlane.Tests.Support;
using Npgsql;

namespace ControlPlane.Tests.Identity;

/// <summary>The audit log: every change appended with who, when, what and why; filtered and paged; never changed.</summary>
public sealed class AuditTests(ManualClockFixture fixture) : IClassFixture<ManualClockFixture>
{
    private HttpClient Admin => fixture.Client;

    [Fact]
    public async Task Import_release_publish_and_rollback_are_audited_with_actor_target_and_before_after()
    {
        using var ops = await fixture.ClientAsAsync("audited-ops", "operator");
        var environment = await Admin.NewEnvironmentAsync("east");
        var agent = await TestAgent.RegisterAsync(Admin, environment + "-a", environment, "east");
        using (var imported = await ops.PostVersionAsync("stock", Bodies.Ndjson([new StockRecord("AUD-1", 3)]), "note=recount"))
        {
            Assert.Equal(HttpStatusCode.Created, imported.StatusCode);
        }

        var first = await ops.CreateReleaseAsync(environment, await Admin.ImportCatalogueAsync());
        await ops.MakeLiveAsync(first, [agent]);
        var second = await ops.CreateReleaseAsync(environment, await Admin.ImportCatalogueAsync(seed: 3));
        await ops.MakeLiveAsync(second, [agent]);
        using (var rollback = await ops.PostAsync($"/api/v1/environments/{environment}/rollback",
                   System.Net.Http.Json.JsonContent.Create(new { reason = "bad prices" })))
        {
            Assert.Equal(HttpStatusCode.Accepted, rollback.StatusCode);
        }

        var mine = (await Admin.AuditAsync("actor=audited-ops")).Items;
        Assert.Equal(["environment.rollback", "release.publish", "release.create", "release.publish", "release.create", "dataset.import"],
            mine.Select(e => e.Kind));
        var import = mine[^1];
        Assert.Equal("recount", import.Reason);
        Assert.StartsWith("stock:", import.Target, StringComparison.Ordinal);
        Assert.Equal(1, import.After!.Value.GetProperty("records").GetInt64());
        var rolledBack = mine[0];
        Assert.Equal((environment, $"release:{first}", "bad prices"), (rolledBack.Environment, rolledBack.Target, rolledBack.Reason));
        Assert.Equal(second, rolledBack.Before!.Value.GetProperty("liveRelease").GetInt64());
        Assert.Equal(first, rolledBack.After!.Value.GetProperty("liveRelease").GetInt64());
        Assert.All(mine, e => Assert.Equal(fixture.Clock.GetUtcNow(), e.At));
    }

    [Fact]
    public async Task The_audit_filters_by_time_actor_environment_and_kind_and_pages_newest_first()
    {
        var environment = await Admin.NewEnvironmentAsync("east");
        var start = fixture.Clock.GetUtcNow();
        for (var i = 0; i < 5; i++)
        {
            fixture.Clock.Advance(TimeSpan.FromMinutes(1));
            await Admin.PinAsync(environment, $"pin {i}");
            var pin = (await Admin.GetOkAsync<List<PinDto>>($"/api/v1/environments/{environment}/pins")).Single();
            using var removed = await Admin.DeleteAsync($"/api/v1/environments/{environment}/pin/{pin.Id}");
        }

        var all = (await Admin.AuditAsync($"environment={environment}&kind=environment.pin")).Items;
        Assert.Equal(5, all.Count);
        Assert.Equal(["pin 4", "pin 3", "pin 2", "pin 1", "pin 0"], all.Select(e => e.Reason));

        var firstPage = await Admin.AuditAsync($"environment={environment}&kind=environment.pin&limit=2");
        var secondPage = await Admin.AuditAsync($"environment={environment}&kind=environment.pin&limit=2&before={firstPage.NextBefore}");
        Assert.Equal(all.Take(4).Select(e => e.Id), firstPage.Items.Concat(secondPage.Items).Select(e => e.Id));

        var from = Uri.EscapeDataString(start.AddMinutes(2).ToString("O"));
        var to = Uri.EscapeDataString(start.AddMinutes(4).ToString("O"));
        var window = (await Admin.AuditAsync($"environment={environment}&kind=environment.pin&from={from}&to={to}")).Items;
        Assert.Equal(["pin 2", "pin 1"], window.Select(e => e.Reason));

        // A kind prefix matches its family; another actor sees nothing of it.
        Assert.Equal(11, (await Admin.AuditAsync($"environment={environment}&kind=environment")).Items.Count);
        Assert.Empty((await Admin.AuditAsync($"environment={environment}&actor=nobody")).Items);
    }

    [Theory]
    [InlineData("limit=0", "limit")]
    [InlineData("limit=501", "limit")]
    [InlineData("from=yesterday", "from")]
    [InlineData("to=2026-13-45", "to")]
    public async Task Bad_audit_queries_are_400_naming_the_parameter(string query, string field)
    {
        using var response = await Admin.GetAsync("/api/v1/audit?" + query);

        Assert.Equal(field, Assert.Single((await Problem.ReadAsync(response, HttpStatusCode.BadRequest)).Errors).Field);
    }

    [Fact]
    public async Task No_API_changes_or_deletes_an_audit_entry()
    {
        foreach (var method in new[] { HttpMethod.Put, HttpMethod.Delete, HttpMethod.Patch, HttpMethod.Post })
        {
            using var response = await Admin.SendAsync(new HttpRequestMessage(method, "/api/v1/audit/1"));
            Assert.True(response.StatusCode is HttpStatusCode.NotFound or HttpStatusCode.MethodNotAllowed, $"{method} answered {(int)response.StatusCode}");
        }

        using var post = await Admin.PostAsync("/api/v1/audit", null);
        Assert.True(post.StatusCode is HttpStatusCode.NotFound or HttpStatusCode.MethodNotAllowed, $"POST answered {(int)post.StatusCode}");
    }

    [Theory]
    [InlineData("UPDATE audit SET actor = 'mallory'")]
    [InlineData("DELETE FROM audit")]
    [InlineData("TRUNCATE audit")]
    public async Task The_database_refuses_to_update_delete_or_truncate_audit_entries(string sql)
    {
        await Admin.NewEnvironmentAsync("east");
        var before = await fixture.Database.StringsAsync("SELECT a::text FROM audit a ORDER BY id");
        Assert.NotEmpty(before);

        var refused = await Assert.ThrowsAsync<PostgresException>(() => fixture.Database.ExecuteAsync(sql));

        Assert.Contains("append-only", refused.MessageText, StringComparison.Ordinal);
        Assert.Equal(before, await fixture.Database.StringsAsync("SELECT a::text FROM audit a ORDER BY id"));
    }

    [Fact]
    public async Task Viewers_read_the_audit_and_agents_cannot()
    {
        using var viewer = await fixture.ClientAsAsync("auditor", "viewer");
        using var agentClient = fixture.CreateClient(await Admin.CreateTokenAsync("audit-agent", "agent", agentId: "audit-agent"));

        using var read = await viewer.GetAsync("/api/v1/audit");
        using var refused = await agentClient.GetAsync("/api/v1/audit");

        Assert.Equal(HttpStatusCode.OK, read.StatusCode);
        await Problem.ReadAsync(refused, HttpStatusCode.Forbidden);
    }
}
