using ControlPlane.Tests.Datasets;
using ControlPlane.Tests.Releases;
using ControlPlane.Tests.Support;
using static ControlPlane.Tests.LiveChanges.LiveChangesClient;

namespace ControlPlane.Tests.LiveChanges;

/// <summary>GET /api/v1/agents/{id}/changes: agents pull the change log at their own pace; their positions show as lag.</summary>
public sealed class ChangeFeedTests(LiveChangesFixture fixture) : IClassFixture<LiveChangesFixture>, IAsyncLifetime
{
    private HttpClient Client => fixture.Client;

    public Task InitializeAsync() => fixture.ResetChangesAsync();

    public Task DisposeAsync() => Task.CompletedTask;

    [Fact]
    public async Task A_pull_returns_the_changes_after_the_position_in_order_and_pages_them()
    {
        var environment = await Client.NewEnvironmentAsync("east");
        var agent = await TestAgent.RegisterAsync(Client, environment + "-a", environment, "east");
        await Client.ImportAsync("stock", Bodies.Ndjson([new StockRecord("A", 10)]));
        await Client.ChangesAsync("stock", Adjust("A", -1), TestRecord.DeleteLine("A"), new StockRecord("A", 3).UpsertLine());

        var all = await Client.PullAsync(agent, "stock", after: 0);
        Assert.Equal([1L, 2L, 3L], all.Changes.Select(c => c.Seq));
        Assert.Equal([new StockRecord("A", 9).Canonical, null, new StockRecord("A", 3).Canonical], all.Changes.Select(c => c.Data));
        Assert.Equal(3, all.LastSeq);

        var paged = await Client.PullAsync(agent, "stock", after: 1, limit: 1);
        Assert.Equal([2L], paged.Changes.Select(c => c.Seq));
        Assert.Empty((await Client.PullAsync(agent, "stock", after: 3)).Changes);
    }

    [Fact]
    public async Task A_held_pull_answers_as_soon_as_a_batch_is_accepted()
    {
        var environment = await Client.NewEnvironmentAsync("east");
        var agent = await TestAgent.RegisterAsync(Client, environment + "-a", environment, "east");
        await Client.ImportAsync("price", Bodies.Ndjson([new PriceRecord("A", 1m, "EUR")]));

        var pull = Client.PullAsync(agent, "price", after: 0, waitSeconds: 10);
        await Task.Delay(TimeSpan.FromMilliseconds(300));
        Assert.False(pull.IsCompleted, "nothing to pull yet, so the request is held");
        await Client.ChangesAsync("price", new PriceRecord("A", 2m, "EUR").UpsertLine());

        await Task.WhenAny(pull, Task.Delay(TimeSpan.FromSeconds(5)));
        Assert.True(pull.IsCompleted, "the batch woke the held pull well before its 10 s");
        Assert.Equal([1L], (await pull).Changes.Select(c => c.Seq));
    }

    [Fact]
    public async Task The_agent_and_environment_views_show_the_applied_position_and_lag_per_dataset()
    {
        var environment = await Client.NewEnvironmentAsync("east");
        var agent = await TestAgent.RegisterAsync(Client, environment + "-a", environment, "east");
        await Client.ImportAsync("stock", Bodies.Ndjson([new StockRecord("A", 10)]));
        await Client.ChangesAsync("stock", Adjust("A", -1), Adjust("A", -1), Adjust("A", -1));
        await Client.PullAsync(agent, "stock", after: 1);

        var view = await Client.AgentAsync(environment, agent.Id);
        var stock = Assert.Single(view.Changes, c => c.Dataset == "stock");
        Assert.Equal((1L, 3L, 2L), (stock.AppliedSeq, stock.LastSeq, stock.LagChanges));
        Assert.NotNull(stock.ReportedAt);

        await Client.PullAsync(agent, "stock", after: 3);
        var env = await Client.EnvironmentAsync(environment);
        var caughtUp = Assert.Single(Assert.Single(Assert.Single(env.Groups).Agents).Changes, c => c.Dataset == "stock");
        Assert.Equal((3L, 0L, 0d), (caughtUp.AppliedSeq, caughtUp.LagChanges, caughtUp.LagSeconds));
    }

    [Fact]
    public async Task Pulls_of_an_unknown_agent_or_dataset_are_problems()
    {
        // A token bound to an agent that never registered.
        var nobody = fixture.CreateClient(await Client.CreateTokenAsync("nobody", "agent", agentId: "nobody"));
        using var unknownAgent = await nobody.GetAsync("/api/v1/agents/nobody/changes?dataset=stock&after=0");
        await Problem.ReadAsync(unknownAgent, System.Net.HttpStatusCode.NotFound);
        using var unknownDataset = await nobody.GetAsync("/api/v1/agents/nobody/changes?dataset=nope&after=0");
        await Problem.ReadAsync(unknownDataset, System.Net.HttpStatusCode.BadRequest);
        using var adminPull = await Client.GetAsync("/api/v1/agents/nobody/changes?dataset=stock&after=0");
        await Problem.ReadAsync(adminPull, System.Net.HttpStatusCode.Forbidden);
    }
}
