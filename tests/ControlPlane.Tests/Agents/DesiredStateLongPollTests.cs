using ControlPlane.Tests.Releases;
using ControlPlane.Tests.Support;

namespace ControlPlane.Tests.Agents;

/// <summary>
/// GET /api/v1/agents/{id}/desired?known=ETAG holds the request while the desired state is the known one and answers
/// as soon as it changes (PostgreSQL NOTIFY wakes it), else when the wait ends.
/// </summary>
public sealed class DesiredStateLongPollTests(ControlPlaneFixture fixture) : IClassFixture<ControlPlaneFixture>
{
    private HttpClient Client => fixture.Client;

    [Fact]
    public async Task A_held_request_answers_the_new_state_as_soon_as_a_publish_starts()
    {
        var environment = await Client.NewEnvironmentAsync("east");
        var agent = await TestAgent.RegisterAsync(Client, environment + "-a", environment, "east");
        var release = await Client.CreateReleaseAsync(environment, await Client.ImportCatalogueAsync());
        var known = (await agent.DesiredAsync()).ETag;

        var poll = agent.DesiredAsync(known, waitSeconds: 10);
        // Let the request reach its wait first; were it later, it would answer the new state at once, which is right too.
        await Task.Delay(TimeSpan.FromMilliseconds(300));
        Assert.False(poll.IsCompleted, "nothing changed yet, so the request is held");
        await Client.PublishAsync(release);

        // Far less than the 10 s the request may be held; only a wake-up by the publish ends it within this bound.
        await Task.WhenAny(poll, Task.Delay(TimeSpan.FromSeconds(5)));
        Assert.True(poll.IsCompleted, "the publish ended the held request");
        var changed = await poll;
        Assert.NotEqual(known, changed.ETag);
        Assert.Equal([release], changed.Hold.Select(h => h.ReleaseId));
    }

    [Fact]
    public async Task A_held_request_answers_when_the_barrier_orders_the_switch()
    {
        var environment = await Client.NewEnvironmentAsync("east", "west");
        var a = await TestAgent.RegisterAsync(Client, environment + "-a", environment, "east");
        var b = await TestAgent.RegisterAsync(Client, environment + "-b", environment, "west");
        var release = await Client.CreateReleaseAsync(environment, await Client.ImportCatalogueAsync());
        await Client.PublishAsync(release);
        await a.HoldAsync(release);
        var known = (await a.DesiredAsync()).ETag;

        var poll = a.DesiredAsync(known, waitSeconds: 10);
        await Task.Delay(TimeSpan.FromMilliseconds(300));
        await b.HoldAsync(release);

        await Task.WhenAny(poll, Task.Delay(TimeSpan.FromSeconds(5)));
        Assert.True(poll.IsCompleted, "the barrier ended the held request");
        var order = (await poll).Live;
        Assert.Equal(release, order?.ReleaseId);
        Assert.Equal((await Client.PublicationOfAsync(release)).Generation, order?.Generation);
    }

    [Fact]
    public async Task With_nothing_changed_the_request_answers_the_same_ETag_when_its_wait_ends()
    {
        var environment = await Client.NewEnvironmentAsync("east");
        var agent = await TestAgent.RegisterAsync(Client, environment + "-a", environment, "east");
        var known = await agent.DesiredAsync();

        var unchanged = await agent.DesiredAsync(known.ETag, waitSeconds: 1);

        Assert.Equal(known.ETag, unchanged.ETag);
        Assert.Empty(unchanged.Hold);
        Assert.Null(unchanged.Live);
    }

    [Fact]
    public async Task A_stale_known_ETag_is_answered_at_once_with_the_current_state()
    {
        var environment = await Client.NewEnvironmentAsync("east");
        var agent = await TestAgent.RegisterAsync(Client, environment + "-a", environment, "east");
        var current = await agent.DesiredAsync();

        var answered = agent.DesiredAsync("not-the-current-etag", waitSeconds: 10);

        await Task.WhenAny(answered, Task.Delay(TimeSpan.FromSeconds(5)));
        Assert.True(answered.IsCompleted, "a state other than the known one is answered without waiting");
        Assert.Equal(current.ETag, (await answered).ETag);
    }
}
