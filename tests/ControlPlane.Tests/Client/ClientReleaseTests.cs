using ControlPlane.Client;
using ControlPlane.Tests.Releases;
using ControlPlane.Tests.Support;

namespace ControlPlane.Tests.Client;

/// <summary>The typed client drives environments, releases, publications, rollback and agents on the real control plane.</summary>
public sealed class ClientReleaseTests(ControlPlaneFixture fixture) : IClassFixture<ControlPlaneFixture>
{
    private HttpClient Client => fixture.Client;

    private ControlPlaneClient Api => new(Client);

    private async Task<(string Environment, TestAgent East, TestAgent West)> EnvironmentWithAgentsAsync()
    {
        var name = "cli-" + Guid.NewGuid().ToString("N")[..10];
        var created = await Api.CreateEnvironmentAsync(new CreateEnvironmentRequest(name, ["east", "west"]));
        Assert.Equal(["east", "west"], created.Groups.Select(g => g.Name).Order());
        Assert.Null(created.LiveRelease);
        return (name, await TestAgent.RegisterAsync(Client, name + "-e", name, "east"), await TestAgent.RegisterAsync(Client, name + "-w", name, "west"));
    }

    [Fact]
    public async Task Publish_and_wait_follows_the_publication_to_Live_and_rollback_makes_the_previous_release_live()
    {
        var (environment, east, west) = await EnvironmentWithAgentsAsync();
        var versions = await Client.ImportCatalogueAsync(seed: 3);

        var first = await Api.CreateReleaseAsync(new CreateReleaseRequest(environment, versions, "first"));
        Assert.Equal((PublicationStates.Pending, environment, "first"), (first.State, first.Release.Environment, first.Release.Note));
        Assert.Equal(versions, first.Release.Versions);

        var started = await Api.PublishAsync(first.Release.Id);
        Assert.Equal(("publish", PublicationStates.Staging, first.Release.Id), (started.Kind, started.State, started.ReleaseId));
        Assert.All(started.Agents, a => Assert.Equal(AgentPhases.Waiting, a.Phase));

        var readings = new List<PublicationInfo>();
        var waiting = Api.WaitForPublicationAsync(started.Id, TimeSpan.FromMilliseconds(20), p => { lock (readings) { readings.Add(p); } });
        await Client.StageAndSwitchAsync(first.Release.Id, [east, west]);
        var live = await waiting;

        Assert.Equal(PublicationStates.Live, live.State);
        Assert.All(live.Agents, a => Assert.Equal(AgentPhases.Switched, a.Phase));
        Assert.NotNull(live.LiveAt);
        lock (readings)
        {
            Assert.True(readings.Count >= 1);
            Assert.Equal(live, readings[^1]);
        }

        var view = await Api.GetEnvironmentAsync(environment);
        Assert.Equal(first.Release.Id, view.LiveRelease?.Id);
        Assert.Equal([east.Id, west.Id], view.Groups.SelectMany(g => g.Agents).Select(a => a.Id).Order());
        Assert.All(view.Groups.SelectMany(g => g.Agents), a => Assert.Equal(first.Release.Id, a.LiveReleaseId));
        Assert.Equal(PublicationStates.Live, (await Api.GetReleaseAsync(first.Release.Id)).State);

        var second = await Api.CreateReleaseAsync(new CreateReleaseRequest(environment, versions, "second"));
        await Client.MakeLiveAsync(second.Release.Id, [east, west]);
        Assert.Equal([second.Release.Id, first.Release.Id], (await Api.ListReleasesAsync(environment)).Select(r => r.Release.Id));
        Assert.Contains(environment, (await Api.ListEnvironmentsAsync()).Select(e => e.Name));

        var rollback = await Api.RollbackAsync(environment);
        Assert.Equal(("rollback", first.Release.Id, second.Release.Id), (rollback.Kind, rollback.ReleaseId, rollback.PreviousReleaseId));
        var generation = (await Api.GetPublicationAsync(rollback.Id)).Generation!.Value;
        await east.SwitchAsync(first.Release.Id, generation);
        await west.SwitchAsync(first.Release.Id, generation);
        var back = await Api.WaitForPublicationAsync(rollback.Id, TimeSpan.FromMilliseconds(20));
        Assert.Equal(PublicationStates.Live, back.State);
        Assert.Equal(first.Release.Id, (await Api.GetEnvironmentAsync(environment)).LiveRelease?.Id);
    }

    [Fact]
    public async Task Rejected_releases_publishes_and_rollbacks_throw_their_problems()
    {
        var (environment, east, _) = await EnvironmentWithAgentsAsync();

        var invalid = await Assert.ThrowsAsync<ApiProblemException>(() =>
            Api.CreateReleaseAsync(new CreateReleaseRequest(environment, new Dictionary<string, int> { ["price"] = 999, ["nope"] = 1 })));
        Assert.Equal((400, "Invalid release"), (invalid.Status, invalid.Title));
        Assert.Equal(["versions.nope", "versions.price"], invalid.Errors.Select(e => e.Field).Order());

        var unknownEnvironment = await Assert.ThrowsAsync<ApiProblemException>(() => Api.GetEnvironmentAsync("no-such-env"));
        Assert.Equal(404, unknownEnvironment.Status);

        Assert.Equal(404, (await Assert.ThrowsAsync<ApiProblemException>(() => Api.PublishAsync(987_654))).Status);
        Assert.Equal(404, (await Assert.ThrowsAsync<ApiProblemException>(() => Api.GetPublicationAsync(987_654))).Status);

        var nothingEarlier = await Assert.ThrowsAsync<ApiProblemException>(() => Api.RollbackAsync(environment));
        Assert.Equal(409, nothingEarlier.Status);
        Assert.Contains("no earlier release", nothingEarlier.Detail);

        var versions = await Client.ImportCatalogueAsync(seed: 4);
        var release = await Api.CreateReleaseAsync(new CreateReleaseRequest(environment, versions));
        var inFlight = await Api.PublishAsync(release.Release.Id);
        var second = await Assert.ThrowsAsync<ApiProblemException>(() => Api.PublishAsync(release.Release.Id));
        Assert.Equal(409, second.Status);
        Assert.Contains(inFlight.Id.ToString(System.Globalization.CultureInfo.InvariantCulture), second.Detail);
        Assert.Equal(404, (await Assert.ThrowsAsync<ApiProblemException>(() => Api.RollbackAsync(environment, toRelease: 987_654))).Status);

        Assert.NotEqual("stale", (await Api.ListAgentsAsync(environment)).Single(a => a.Id == east.Id).Status);
        await Api.RemoveAgentAsync(east.Id);
        Assert.Equal("stale", (await Api.ListAgentsAsync(environment)).Single(a => a.Id == east.Id).Status);
        Assert.Equal(404, (await Assert.ThrowsAsync<ApiProblemException>(() => Api.RemoveAgentAsync("no-such-agent"))).Status);
    }
}

/// <summary>The client presents its token as a bearer token; tokens, roles, revocation and the audit log through the client.</summary>
public sealed class ClientTokenTests(ControlPlaneFixture fixture) : IClassFixture<ControlPlaneFixture>
{
    private ControlPlaneClient As(string? token) => new(fixture.CreateClient(null), new ControlPlaneClientOptions { Token = token });

    [Fact]
    public async Task Tokens_made_through_the_client_authenticate_their_role_and_fail_once_revoked()
    {
        var admin = As(ControlPlaneFixture.AdminToken);
        Assert.Equal((ControlPlaneFixture.AdminName, TokenRoles.Admin), ((await admin.WhoAmIAsync()).Name, (await admin.WhoAmIAsync()).Role));

        var anonymous = await Assert.ThrowsAsync<ApiProblemException>(() => As(null).ListDatasetsAsync());
        Assert.Equal(401, anonymous.Status);
        Assert.Equal(401, (await Assert.ThrowsAsync<ApiProblemException>(() => As("not-a-token").ListDatasetsAsync())).Status);

        var created = await admin.CreateTokenAsync(new CreateTokenRequest("dashboard", TokenRoles.Viewer, ExpiresInDays: 30));
        Assert.Equal(("dashboard", TokenRoles.Viewer, "api"), (created.Info.Name, created.Info.Role, created.Info.Kind));
        Assert.StartsWith(created.Info.Prefix, created.Token);
        var viewer = As(created.Token);
        Assert.Equal("dashboard", (await viewer.WhoAmIAsync()).Name);
        Assert.NotNull(await viewer.ListDatasetsAsync());
        var forbidden = await Assert.ThrowsAsync<ApiProblemException>(() => viewer.CreateReleaseAsync(new CreateReleaseRequest("prod", new Dictionary<string, int> { ["price"] = 1 })));
        Assert.Equal(403, forbidden.Status);
        Assert.Contains(created.Info.Id, (await admin.ListTokensAsync()).Select(t => t.Id));

        var revoked = await admin.RevokeTokenAsync(created.Info.Id, "rotated");
        Assert.NotNull(revoked.RevokedAt);
        Assert.Equal(401, (await Assert.ThrowsAsync<ApiProblemException>(() => viewer.ListDatasetsAsync())).Status);
        Assert.DoesNotContain(created.Info.Id, (await admin.ListTokensAsync()).Select(t => t.Id));
        Assert.Contains(created.Info.Id, (await admin.ListTokensAsync(all: true)).Select(t => t.Id));

        var audit = await admin.ListAuditAsync(new AuditFilter(Kind: "token", Actor: ControlPlaneFixture.AdminName));
        var revocation = Assert.Single(audit.Items, e => e.Kind == "token.revoke" && e.Target == $"token:{created.Info.Id}");
        Assert.Equal("rotated", revocation.Reason);
        Assert.Contains(audit.Items, e => e.Kind == "token.create" && e.Target == $"token:{created.Info.Id}");
        Assert.True(audit.Items.Select(e => e.Id).SequenceEqual(audit.Items.Select(e => e.Id).OrderDescending()), "newest first");
    }

    [Fact]
    public async Task An_agent_token_registers_its_agent_and_users_log_in()
    {
        var admin = As(ControlPlaneFixture.AdminToken);
        var environment = await fixture.Client.NewEnvironmentAsync("east");
        var registration = new ControlPlane.Contracts.AgentRegistration(environment + "-a", environment, "east");
        var token = await admin.CreateTokenAsync(new CreateTokenRequest(registration.AgentId, TokenRoles.Agent, AgentId: registration.AgentId));

        var agent = As(token.Token);
        Assert.Equal(registration.AgentId, (await agent.RegisterAgentAsync(registration)).AgentId);
        Assert.Equal(environment, (await agent.GetDesiredStateAsync(registration.AgentId, waitSeconds: 0)).Environment);
        Assert.Equal(403, (await Assert.ThrowsAsync<ApiProblemException>(() => agent.ListReleasesAsync())).Status);

        var username = "op-" + Guid.NewGuid().ToString("N")[..8];
        await admin.CreateUserAsync(new CreateUserRequest(username, "correct horse battery", TokenRoles.Operator));
        Assert.Contains(username, (await admin.ListUsersAsync()).Select(u => u.Username));
        var session = await As(null).LoginAsync(username, "correct horse battery");
        Assert.Equal((username, TokenRoles.Operator), (session.Username, session.Role));
        Assert.Equal(username, (await As(session.Token).WhoAmIAsync()).Name);
        Assert.Equal(401, (await Assert.ThrowsAsync<ApiProblemException>(() => As(null).LoginAsync(username, "wrong password!!"))).Status);
    }
}
