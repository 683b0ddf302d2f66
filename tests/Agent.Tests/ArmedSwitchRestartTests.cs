using Agent.Tests.Support;
using ControlPlane.Contracts;
using static Agent.Tests.Support.Versions;

namespace Agent.Tests;

/// <summary>
/// A scheduled switch the agent was holding survives the agent: the order is in its Redis, so a process killed with
/// SIGKILL and started again, with the control plane gone meanwhile, still switches at the instant by its own clock.
/// </summary>
public sealed class ArmedSwitchRestartTests
{
    [Fact]
    public async Task An_agent_killed_while_armed_and_restarted_without_the_control_plane_still_switches_at_the_instant()
    {
        await using var env = await TestEnvironment.CreateAsync();
        var model = new ControlPlaneModel();
        var price1 = Enumerable.Range(1, 20).ToDictionary(i => Sku(i), i => Price(Sku(i), i));
        var price2 = Enumerable.Range(1, 20).ToDictionary(i => Sku(i), i => Price(Sku(i), i + 0.5m));
        model.AddVersion("price", 1, price1);
        model.AddVersion("price", 2, price2);
        model.Releases[1] = new Dictionary<string, int> { ["price"] = 1 };
        model.Releases[2] = new Dictionary<string, int> { ["price"] = 2 };
        model.Desire([2, 1], new SwitchOrder(1, 1));
        var server = await FakeControlPlane.StartAsync(model.HandleAsync);
        var controlPlane = server.Address;
        DateTimeOffset switchAt;
        try
        {
            using var first = AgentProcess.Start(controlPlane, env.Name, "agent-1", chunkSize: 5);
            await EventuallyAsync(async () => (await env.Store.GetPointerAsync())?.Release == 1 && model.Reports.Any(r => r.Held.Any(h => h.ReleaseId == 2)),
                "release 1 live and release 2 held");

            // Armed: release 2 at an instant a few seconds ahead (room for a restart on a busy machine).
            var at = DateTimeOffset.UtcNow.AddSeconds(12);
            switchAt = new DateTimeOffset(at.UtcTicks - (at.UtcTicks % TimeSpan.TicksPerMillisecond), TimeSpan.Zero);
            model.Desire([2, 1], new SwitchOrder(2, 2, switchAt));
            await EventuallyAsync(async () => (await env.Store.LoadArmedAsync())?.SwitchAt == switchAt, "the armed switch kept in Redis");
            first.Kill();
        }
        finally
        {
            await server.DisposeAsync();
        }

        // The control plane is gone; a new process of the agent starts before the instant.
        Assert.True(DateTimeOffset.UtcNow < switchAt, "the agent was killed before the instant");
        Assert.Equal(1, (await env.Store.GetPointerAsync())!.Release);
        using var second = AgentProcess.Start(controlPlane, env.Name, "agent-1", chunkSize: 5);

        await EventuallyAsync(async () => (await env.Store.GetPointerAsync())?.Release == 2, "release 2 live");
        var pointer = (await env.Store.GetPointerAsync())!;
        var late = pointer.SwitchedAt - switchAt;
        Assert.True(late >= TimeSpan.Zero, $"switched {-late.TotalMilliseconds:0.0} ms before the instant");
        Assert.True(late < TimeSpan.FromSeconds(1), $"switched {late.TotalMilliseconds:0.0} ms after the instant");
        Assert.Equal(2, pointer.Generation);
        Assert.Equal(price2[Sku(7)], (await env.Reader.GetAsync(Sku(7)))!["price"]);
        await EventuallyAsync(async () => await env.Store.LoadArmedAsync() is null, "the armed order cleared once carried out");
    }

    private static async Task EventuallyAsync(Func<Task<bool>> condition, string what)
    {
        // A generous bound so that a hang fails the test instead of the run; not a timing assertion.
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"timed out waiting for: {what}");
            await Task.Delay(20);
        }
    }
}
