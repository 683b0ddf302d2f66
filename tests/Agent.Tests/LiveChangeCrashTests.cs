using Agent.Redis;
using Agent.Tests.Support;
using ControlPlane.Contracts;
using static Agent.Tests.Support.Versions;

namespace Agent.Tests;

/// <summary>The agent as a process applying live changes, killed with SIGKILL again and again: every change takes effect once (I5).</summary>
public sealed class LiveChangeCrashTests
{
    [Fact]
    public async Task Agents_killed_while_applying_live_changes_apply_each_change_exactly_once()
    {
        await using var env = await TestEnvironment.CreateAsync();
        var model = new ControlPlaneModel { LiveChangePage = 3, LiveChangeDelay = TimeSpan.FromMilliseconds(15) };
        var stock1 = Enumerable.Range(1, 20).ToDictionary(i => Sku(i), i => Stock(Sku(i), i));
        model.AddVersion("stock", 1, stock1);
        model.Releases[1] = new Dictionary<string, int> { ["stock"] = 1 };
        model.Desire([1], new SwitchOrder(1, 1));

        // 600 changes over 25 SKUs (some not in the version, some deleted): the newest per SKU is what must remain.
        var random = new Random(11);
        var changes = Enumerable.Range(1, 600).Select(seq =>
        {
            var sku = Sku(random.Next(1, 26));
            return new LiveChange(seq, sku, random.Next(7) == 0 ? null : Stock(sku, seq * 10));
        }).ToList();
        model.AddLiveChanges("stock", changes);
        await using var server = await FakeControlPlane.StartAsync(model.HandleAsync);
        var store = new ChangeStore(env.Redis, env.Name);

        for (var life = 0; life < 10 && await store.AppliedAsync("stock") < 600; life++)
        {
            using var agent = AgentProcess.Start(server.Address, env.Name, "agent-1", chunkSize: 5, changePageSize: 3);
            await Task.Delay(random.Next(400, 1200));
            agent.Kill();
        }

        var lives = await store.AppliedAsync("stock");
        using (var last = AgentProcess.Start(server.Address, env.Name, "agent-1", chunkSize: 5, changePageSize: 3))
        {
            await EventuallyAsync(async () => await store.AppliedAsync("stock") == 600, "every change applied");
            await EventuallyAsync(async () => (await env.Store.GetPointerAsync())?.Release == 1, "release 1 live");
        }

        Assert.True(lives < 600, "the agents were killed while changes were still being applied");
        Assert.Equal(600, await store.AppliedCountAsync("stock"));
        var skus = Enumerable.Range(1, 26).Select(Sku).ToList();
        var newest = changes.GroupBy(c => c.Sku).ToDictionary(g => g.Key, g => g.Last().Data);
        var expected = skus.Select(s => newest.TryGetValue(s, out var data) ? data : stock1.GetValueOrDefault(s)).ToList();
        var rows = await env.Reader.GetManyAsync(skus);
        Assert.Equal(expected, rows!.Select(r => r["stock"]));
    }

    private static async Task EventuallyAsync(Func<Task<bool>> condition, string what)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"timed out waiting for: {what}");
            await Task.Delay(20);
        }
    }
}
