using Agent.ControlPlaneApi;
using Agent.Loop;
using Agent.Tests.Support;
using ControlPlane.Contracts;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using static Agent.Tests.Support.Versions;

namespace Agent.Tests;

/// <summary>The whole agent against a fake control plane (over Kestrel) and the real test Redis.</summary>
public sealed class AgentLoopTests
{
    [Fact]
    public async Task The_agent_stages_switches_rolls_back_and_recovers_from_lost_redis_data()
    {
        await using var env = await TestEnvironment.CreateAsync();
        var model = new ControlPlaneModel();
        var price1 = Enumerable.Range(1, 10).ToDictionary(i => Sku(i), i => Price(Sku(i), i));
        var price2 = new Dictionary<string, string>(price1) { [Sku(2)] = Price(Sku(2), 200), [Sku(11)] = Price(Sku(11), 11) };
        price2.Remove(Sku(3));
        var stock1 = Enumerable.Range(1, 10).ToDictionary(i => Sku(i), i => Stock(Sku(i), i));
        model.AddVersion("price", 1, price1);
        model.AddVersion("price", 2, price2);
        model.AddVersion("stock", 1, stock1);
        model.Releases[1] = new Dictionary<string, int> { ["price"] = 1, ["stock"] = 1 };
        model.Releases[2] = new Dictionary<string, int> { ["price"] = 2, ["stock"] = 1 };
        model.Desire([1], null);
        await using var server = await FakeControlPlane.StartAsync(model.HandleAsync);
        using var http = server.Client("t0ken");
        var agent = await StartAgentAsync(env, http);
        try
        {
            await EventuallyAsync(() => model.Reports.Any(r => r.Held.Any(h => h.ReleaseId == 1)), "release 1 held");
            Assert.Null(await env.Reader.GetAsync(Sku(1)));

            model.Desire([1], new SwitchOrder(1, 1));
            await EventuallyAsync(async () => (await env.Reader.GetAsync(Sku(3)))?["price"] == price1[Sku(3)], "release 1 live");

            model.Desire([2, 1], new SwitchOrder(1, 1));
            await EventuallyAsync(() => model.Reports.Any(r => r.Held.Any(h => h.ReleaseId == 2)), "release 2 held");
            model.Desire([2, 1], new SwitchOrder(2, 2));
            await EventuallyAsync(async () => (await env.Reader.GetAsync(Sku(2)))?.ReleaseId == 2, "release 2 live");
            var row = await env.Reader.GetAsync(Sku(3));
            Assert.Equal((null, stock1[Sku(3)]), (row!["price"], row["stock"]));
            // The stock layer of release 1 was reused, and price 2 was written as an overlay of price 1.
            var layers = await env.Store.ListLayersAsync();
            Assert.Equal([("price", 1, (int?)null), ("price", 3, 1), ("stock", 2, null)], layers.Select(l => (l.Dataset, l.Layer, l.BaseLayer)));

            // Roll back: a pointer flip to layers still held.
            model.Desire([2, 1], new SwitchOrder(1, 3));
            await EventuallyAsync(async () => (await env.Reader.GetAsync(Sku(3)))?.ReleaseId == 1, "rolled back to release 1");
            Assert.Equal(3, (await env.Store.ListLayersAsync()).Count);

            // Release 2 falls out of what is held: its price layer is dropped.
            model.Desire([1], new SwitchOrder(1, 3));
            await EventuallyAsync(async () => (await env.Store.ListLayersAsync()).Count == 2, "release 2 dropped");

            // Redis loses everything; the agent notices, says so, and stages and switches again.
            await env.DisposeAsync();
            await EventuallyAsync(() => model.Reports.Any(r => r.RedisDataLost), "data loss reported");
            await EventuallyAsync(async () => (await env.Reader.GetAsync(Sku(3)))?["price"] == price1[Sku(3)], "release 1 live again");
            Assert.Contains(server.Requests, r => r.Authorization == "Bearer t0ken");
        }
        finally
        {
            await agent.StopAsync(CancellationToken.None);
        }
    }

    [Fact]
    public async Task A_layer_that_does_not_verify_is_not_recorded_and_the_error_is_reported()
    {
        await using var env = await TestEnvironment.CreateAsync();
        var model = new ControlPlaneModel();
        var price1 = Enumerable.Range(1, 10).ToDictionary(i => Sku(i), i => Price(Sku(i), i));
        model.AddVersion("price", 1, price1);
        model.Releases[1] = new Dictionary<string, int> { ["price"] = 1 };
        model.WrongHashes[("price", 1)] = "sha256:" + new string('0', 64);
        model.Desire([1], new SwitchOrder(1, 1));
        await using var server = await FakeControlPlane.StartAsync(model.HandleAsync);
        using var http = server.Client();
        var agent = await StartAgentAsync(env, http);
        try
        {
            await EventuallyAsync(() => model.Reports.Any(r => r.LastError?.Contains("does not verify", StringComparison.Ordinal) == true), "the error reported");
            Assert.Empty(await env.Store.ListLayersAsync());
            Assert.Null(await env.Store.GetPointerAsync());
            Assert.DoesNotContain(model.Reports, r => r.Held.Count > 0);
        }
        finally
        {
            await agent.StopAsync(CancellationToken.None);
        }
    }

    private static async Task<AgentLoop> StartAgentAsync(TestEnvironment env, HttpClient http)
    {
        var options = Options.Create(new AgentOptions { Environment = env.Name, AgentId = "agent-1", Group = "g", ChunkSize = 3 });
        var client = new ControlPlaneClient(http);
        var status = new AgentStatus(TimeProvider.System);
        var reporter = new AgentReporter(client, status, TimeProvider.System, NullLogger<AgentReporter>.Instance);
        var armed = new ArmedSwitch(status, reporter, TimeProvider.System, NullLogger<ArmedSwitch>.Instance);
        var loop = new AgentLoop(options, TestRedis.Client(), client, status, reporter, armed, TimeProvider.System, NullLogger<AgentLoop>.Instance);
        await loop.StartAsync(CancellationToken.None);
        return loop;
    }

    private static Task EventuallyAsync(Func<bool> condition, string what) => EventuallyAsync(() => Task.FromResult(condition()), what);

    private static async Task EventuallyAsync(Func<Task<bool>> condition, string what)
    {
        // A generous bound so that a hang fails the test instead of the run; not a timing assertion.
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"timed out waiting for: {what}");
            await Task.Delay(50);
        }
    }
}
