using System.Net;
using System.Net.Http.Json;
using ControlPlane.Contracts;
using ControlPlane.Tests.Releases;
using ControlPlane.Tests.Support;

namespace ControlPlane.Tests.Agents;

/// <summary>Agents registering, reporting, turning stale and being removed, as the control plane records them.</summary>
public sealed class AgentRegistrationTests(ManualClockFixture fixture) : IClassFixture<ManualClockFixture>
{
    private HttpClient Client => fixture.Client;

    [Fact]
    public async Task Registering_answers_the_agent_settings_and_registering_again_is_harmless()
    {
        var environment = await Client.NewEnvironmentAsync("east");
        var agent = new TestAgent(Client, environment + "-a", environment, "east");

        var first = await agent.RegisterAsync();
        var again = await agent.RegisterAsync();

        Assert.Equal(new AgentRegistered(agent.Id, environment, "east", HeartbeatSeconds: 5, HotRetention: 2), first);
        Assert.Equal(first, again);
        var listed = Assert.Single(await Client.GetOkAsync<List<AgentDto>>($"/api/v1/agents?environment={environment}"));
        Assert.Equal((agent.Id, environment, "east", "ok"), (listed.Id, listed.Environment, listed.Group, listed.Status));
        Assert.Equal(fixture.Clock.GetUtcNow(), listed.RegisteredAt);
    }

    [Theory]
    [InlineData("known", "south")]
    [InlineData("no-such-environment", "east")]
    public async Task Registering_into_a_group_that_does_not_exist_is_400_naming_group(string environmentCase, string group)
    {
        var environment = environmentCase == "known" ? await Client.NewEnvironmentAsync("east") : environmentCase;

        using var response = await PostRegisterAsync(new AgentRegistration("agent-1", environment, group));

        var problem = await Problem.ReadAsync(response, HttpStatusCode.BadRequest);
        Assert.Equal("group", Assert.Single(problem.Errors).Field);
    }

    [Theory]
    [InlineData("-agent")]
    [InlineData("agent one")]
    [InlineData("agent/1")]
    [InlineData("agent\u00e9")]
    [InlineData("")]
    public async Task Registering_with_a_malformed_id_is_400_naming_agentId(string id)
    {
        var environment = await Client.NewEnvironmentAsync("east");

        using var response = await PostRegisterAsync(new AgentRegistration(id, environment, "east"));

        Assert.Equal("agentId", Assert.Single((await Problem.ReadAsync(response, HttpStatusCode.BadRequest)).Errors).Field);
    }

    [Fact]
    public async Task An_id_longer_than_128_characters_is_400_naming_agentId()
    {
        var environment = await Client.NewEnvironmentAsync("east");

        using var tooLong = await PostRegisterAsync(new AgentRegistration(new string('a', 129), environment, "east"));
        Assert.Equal("agentId", Assert.Single((await Problem.ReadAsync(tooLong, HttpStatusCode.BadRequest)).Errors).Field);
        using var longest = await PostRegisterAsync(new AgentRegistration("A1_.:-" + new string('z', 122), environment, "east"));
        Assert.Equal(HttpStatusCode.OK, longest.StatusCode);
    }

    [Fact]
    public async Task The_same_id_in_another_group_is_400_and_the_agent_stays_where_it_was()
    {
        var environment = await Client.NewEnvironmentAsync("east", "west");
        var agent = await TestAgent.RegisterAsync(Client, environment + "-a", environment, "east");
        var other = await Client.NewEnvironmentAsync("east");

        using var otherGroup = await PostRegisterAsync(new AgentRegistration(agent.Id, environment, "west"));
        Assert.Equal("agentId", Assert.Single((await Problem.ReadAsync(otherGroup, HttpStatusCode.BadRequest)).Errors).Field);
        using var otherEnvironment = await PostRegisterAsync(new AgentRegistration(agent.Id, other, "east"));
        Assert.Equal("agentId", Assert.Single((await Problem.ReadAsync(otherEnvironment, HttpStatusCode.BadRequest)).Errors).Field);

        var listed = await Client.AgentAsync(environment, agent.Id);
        Assert.Equal((environment, "east"), (listed.Environment, listed.Group));
        Assert.Empty(await Client.GetOkAsync<List<AgentDto>>($"/api/v1/agents?environment={other}"));
    }

    [Fact]
    public async Task A_refused_registration_leaves_the_agent_as_it_was_and_a_stale_one_stale()
    {
        var environment = await Client.NewEnvironmentAsync("east", "west");
        var agent = await TestAgent.RegisterAsync(Client, environment + "-a", environment, "east");
        fixture.Clock.Advance(TimeSpan.FromSeconds(16));
        var before = await Client.AgentAsync(environment, agent.Id);
        Assert.Equal("stale", before.Status);

        // Another process configured with the same id does not make the silent agent look alive.
        using var refused = await PostRegisterAsync(new AgentRegistration(agent.Id, environment, "west"));
        await Problem.ReadAsync(refused, HttpStatusCode.BadRequest);

        var after = await Client.AgentAsync(environment, agent.Id);
        Assert.Equal((before.Group, before.Status, before.LastSeenAt), (after.Group, after.Status, after.LastSeenAt));
    }

    [Fact]
    public async Task An_agent_removed_with_delete_may_register_again_in_another_group()
    {
        var environment = await Client.NewEnvironmentAsync("east", "west");
        var agent = await TestAgent.RegisterAsync(Client, environment + "-a", environment, "east");
        using var refused = await PostRegisterAsync(new AgentRegistration(agent.Id, environment, "west"));
        var problem = await Problem.ReadAsync(refused, HttpStatusCode.BadRequest);
        Assert.Contains($"DELETE /api/v1/agents/{agent.Id}", problem.Detail, StringComparison.Ordinal);

        // What the refusal says to do.
        using var removed = await Client.DeleteAsync($"/api/v1/agents/{agent.Id}");
        Assert.Equal(HttpStatusCode.NoContent, removed.StatusCode);
        var moved = await new TestAgent(Client, agent.Id, environment, "west").RegisterAsync();

        Assert.Equal("west", moved.Group);
        var listed = await Client.AgentAsync(environment, agent.Id);
        Assert.Equal(("west", "ok"), (listed.Group, listed.Status));
    }

    [Fact]
    public async Task Reports_and_desired_state_of_an_unregistered_agent_are_404()
    {
        var report = new AgentReport(DateTimeOffset.UtcNow, null, 0, [], null, null);
        using var agentClient = fixture.CreateClient(await Client.CreateTokenAsync("never-registered", "agent", agentId: "never-registered"));

        using var reported = await agentClient.PostAsJsonAsync("/api/v1/agents/never-registered/report", report, Http.Json);
        await Problem.ReadAsync(reported, HttpStatusCode.NotFound);
        using var desired = await agentClient.GetAsync("/api/v1/agents/never-registered/desired?waitSeconds=0");
        await Problem.ReadAsync(desired, HttpStatusCode.NotFound);
        using var removed = await Client.DeleteAsync("/api/v1/agents/never-registered");
        await Problem.ReadAsync(removed, HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task A_report_is_shown_with_the_agent_and_its_clock_offset()
    {
        var environment = await Client.NewEnvironmentAsync("east");
        var agent = await TestAgent.RegisterAsync(Client, environment + "-a", environment, "east");
        var sentAt = fixture.Clock.GetUtcNow().AddSeconds(2);
        var report = new AgentReport(sentAt, 41, 7, [new HeldRelease(41, new Dictionary<string, int> { ["price"] = 3 })],
            new StagingProgress(42, "price", 12, 10, 100, 640), "READONLY replica");

        using var agentClient = fixture.CreateClient(await agent.TokenAsync());
        using var response = await agentClient.PostAsJsonAsync($"/api/v1/agents/{agent.Id}/report", report, Http.Json);
        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);

        var listed = await Client.AgentAsync(environment, agent.Id);
        Assert.Equal(("error", 41L, 7L, "READONLY replica"), (listed.Status, listed.LiveReleaseId, listed.LiveGeneration, listed.LastError));
        Assert.Equal([41L], listed.HeldReleases);
        Assert.Equal(new StagingProgress(42, "price", 12, 10, 100, 640), listed.Staging);
        Assert.Equal(2000, listed.ClockOffsetMs);
    }

    [Fact]
    public async Task A_report_without_held_is_400_naming_held()
    {
        var environment = await Client.NewEnvironmentAsync("east");
        var agent = await TestAgent.RegisterAsync(Client, environment + "-a", environment, "east");

        using var agentClient = fixture.CreateClient(await agent.TokenAsync());
        using var response = await agentClient.PostAsync($"/api/v1/agents/{agent.Id}/report",
            new StringContent("""{"sentAt":"2025-03-14T15:09:26Z","liveGeneration":0}""", System.Text.Encoding.UTF8, "application/json"));

        Assert.Equal("held", Assert.Single((await Problem.ReadAsync(response, HttpStatusCode.BadRequest)).Errors).Field);
    }

    [Fact]
    public async Task An_agent_not_heard_from_for_StaleAfterSeconds_is_stale_until_it_reports_again()
    {
        var environment = await Client.NewEnvironmentAsync("east");
        var agent = await TestAgent.RegisterAsync(Client, environment + "-a", environment, "east");
        await agent.ReportAsync();

        fixture.Clock.Advance(TimeSpan.FromSeconds(15));
        Assert.Equal("ok", (await Client.AgentAsync(environment, agent.Id)).Status);
        fixture.Clock.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal("stale", (await Client.AgentAsync(environment, agent.Id)).Status);

        await agent.ReportAsync();
        var back = await Client.AgentAsync(environment, agent.Id);
        Assert.Equal(("ok", fixture.Clock.GetUtcNow()), (back.Status, back.LastSeenAt));
    }

    [Fact]
    public async Task Deleting_an_agent_retires_it_from_the_publication_in_flight_which_then_moves_on_without_it()
    {
        var environment = await Client.NewEnvironmentAsync("east", "west");
        var a = await TestAgent.RegisterAsync(Client, environment + "-a", environment, "east");
        var b = await TestAgent.RegisterAsync(Client, environment + "-b", environment, "west");
        var release = await Client.CreateReleaseAsync(environment, await Client.ImportCatalogueAsync());
        await Client.PublishAsync(release);
        await a.HoldAsync(release);
        Assert.Equal("Staging", (await Client.ReleaseAsync(release)).State);

        using var removed = await Client.DeleteAsync($"/api/v1/agents/{b.Id}");
        Assert.Equal(HttpStatusCode.NoContent, removed.StatusCode);

        // The barrier no longer waits for b: the sweeper moves the publication on.
        var switching = await Eventually.ReadUntilAsync(() => Client.PublicationOfAsync(release), p => p.State != "Staging", "the publication moved on");
        Assert.Equal("Switching", switching.State);
        Assert.Equal([a.Id], switching.Agents.Select(x => x.AgentId));
        Assert.Equal("stale", (await Client.AgentAsync(environment, b.Id)).Status);
        await a.SwitchAsync(release, switching.Generation!.Value);
        Assert.Equal("Live", (await Client.ReleaseAsync(release)).State);

        // A removed agent takes no part in the next publication either.
        var next = await Client.CreateReleaseAsync(environment, await Client.ImportCatalogueAsync(seed: 2));
        Assert.Equal([a.Id], (await Client.PublishAsync(next)).Agents.Select(x => x.AgentId));
    }

    private async Task<HttpResponseMessage> PostRegisterAsync(AgentRegistration registration)
    {
        // A malformed id cannot have a token: those registrations come with another agent's, and are refused for the id's shape first.
        var tokenFor = ControlPlane.Infrastructure.Names.IsAgentId(registration.AgentId) ? registration.AgentId : "malformed-probe";
        using var agentClient = fixture.CreateClient(await Client.CreateTokenAsync(tokenFor, "agent", agentId: tokenFor));
        return await agentClient.PostAsJsonAsync("/api/v1/agents/register", registration, Http.Json);
    }
}
