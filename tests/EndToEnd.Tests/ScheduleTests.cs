using System.Net;
using System.Net.Http.Json;
using ControlPlane.Tests.Scheduling;
using ControlPlane.Tests.Support;
using EndToEnd.Tests.Support;
using Xunit.Abstractions;

namespace EndToEnd.Tests;

/// <summary>
/// Scheduled activation on the real clock: Quartz fires the steps, real agents stage ahead, hold the armed switch and
/// switch their Redis pointers from their own clocks, with or without the control plane.
/// </summary>
public sealed class ScheduleTests(ITestOutputHelper output)
{
    private const int Skus = 2000;
    private static readonly TimeSpan Precision = TimeSpan.FromSeconds(1);

    private static async Task<ScheduleDto> CreateAsync(Cluster cluster, object request)
    {
        using var response = await cluster.ControlPlane.Client.PostAsJsonAsync("api/v1/schedules", request, Http.Json);
        return await Http.ReadAsync<ScheduleDto>(response, HttpStatusCode.Created);
    }

    private static Task<ScheduleDto> ScheduleAsync(Cluster cluster, long id) => cluster.ControlPlane.Client.GetOkAsync<ScheduleDto>($"api/v1/schedules/{id}");

    /// <summary>An instant a few seconds ahead, on a whole millisecond (what the API keeps).</summary>
    private static DateTimeOffset SecondsAhead(int seconds)
    {
        var at = DateTimeOffset.UtcNow.AddSeconds(seconds);
        return new DateTimeOffset(at.UtcTicks - (at.UtcTicks % TimeSpan.TicksPerMillisecond), TimeSpan.Zero);
    }

    private async Task WaitSwitchedOnTimeAsync(Cluster cluster, long release, DateTimeOffset at)
    {
        foreach (var agent in cluster.Agents)
        {
            var pointer = await Eventually.ReadUntilAsync(() => agent.PointerAsync(cluster.Environment), p => p?.Release == release,
                $"the pointer of {agent.AgentId} names release {release}");
            var late = pointer!.SwitchedAt - at;
            output.WriteLine($"{agent.AgentId} switched to release {release} {late.TotalMilliseconds:0.0} ms after {at:O}");
            Assert.True(late >= TimeSpan.Zero, $"{agent.AgentId} switched {-late.TotalMilliseconds:0.0} ms before its time");
            Assert.True(late < Precision, $"{agent.AgentId} switched {late.TotalMilliseconds:0.0} ms after its time");
        }
    }

    [Fact]
    public async Task A_scheduled_window_switches_every_agent_within_a_second_of_its_time_and_reverts_to_exactly_the_previous_release()
    {
        await using var cluster = await Cluster.StartAsync(output, "schedule-window");
        var (previous, _) = await cluster.PublishLiveAsync(await cluster.ImportContentAsync(Skus, 1));
        var next = await cluster.Api.CreateReleaseAsync(cluster.Environment, await cluster.ImportContentAsync(Skus, 2));
        var activateAt = SecondsAhead(10);
        var revertAt = activateAt.AddSeconds(6);
        var schedule = await CreateAsync(cluster, new
        {
            release = next, activateAt = activateAt.ToString("O"), revertAt = revertAt.ToString("O"), leadTime = "00:00:05",
        });

        // Content imported after scheduling does not leak into the scheduled release.
        await cluster.ImportContentAsync(Skus, 3);
        var expectedNext = await cluster.ExpectedAsync(next);
        var expectedPrevious = await cluster.ExpectedAsync(previous);

        var armed = await Eventually.ReadUntilAsync(() => ScheduleAsync(cluster, schedule.Id), s => s.Phase == "armed" || s.State != "Activating" && s.State != "Scheduled",
            "the activation is armed on every agent");
        Assert.Equal("armed", armed.Phase);
        Assert.True(DateTimeOffset.UtcNow < activateAt, "armed before the activation time");
        Assert.Equal(previous, (await cluster.Agents[0].PointerAsync(cluster.Environment))!.Release);

        await WaitSwitchedOnTimeAsync(cluster, next, activateAt);
        foreach (var agent in cluster.Agents)
        {
            await cluster.AssertReadsAsync(agent, expectedNext);
        }

        await WaitSwitchedOnTimeAsync(cluster, previous, revertAt);
        foreach (var agent in cluster.Agents)
        {
            await cluster.AssertReadsAsync(agent, expectedPrevious);
        }

        var completed = await Eventually.ReadUntilAsync(() => ScheduleAsync(cluster, schedule.Id), s => s.State != "Reverting" && s.State != "Active" && s.State != "Activating",
            "the schedule completes");
        Assert.Equal("Completed", completed.State);
        Assert.Equal(previous, completed.PreviousReleaseId);
        Assert.Equal(previous, (await cluster.Api.EnvironmentAsync(cluster.Environment)).LiveRelease!.Id);

        // Each step's trigger fired once.
        Assert.Equal(4, completed.EventsOf("fired").Count());
    }

    [Fact]
    public async Task Agents_switch_on_time_while_the_control_plane_is_down_and_report_when_it_is_back()
    {
        await using var cluster = await Cluster.StartAsync(output, "schedule-down");
        await cluster.PublishLiveAsync(await cluster.ImportContentAsync(Skus, 1));
        var next = await cluster.Api.CreateReleaseAsync(cluster.Environment, await cluster.ImportContentAsync(Skus, 2));
        var activateAt = SecondsAhead(10);
        var schedule = await CreateAsync(cluster, new { release = next, activateAt = activateAt.ToString("O"), leadTime = "00:00:05" });
        var armed = await Eventually.ReadUntilAsync(() => ScheduleAsync(cluster, schedule.Id), s => s.Phase == "armed" || s.State != "Activating" && s.State != "Scheduled",
            "the activation is armed on every agent");
        Assert.Equal("armed", armed.Phase);

        // The control plane has decided to arm; stop it only once every agent holds the order in its own Redis (an
        // agent that never got the order cannot switch without the control plane: that is the misfire path).
        foreach (var agent in cluster.Agents)
        {
            await Eventually.UntilAsync(
                async () => ((string?)await agent.Redis.Database.StringGetAsync($"cp:{cluster.Environment}:agent:armed"))?.Contains($"\"release\":{next}", StringComparison.Ordinal) == true,
                $"{agent.AgentId} holds the armed switch to release {next}");
        }

        // Down across the activation time: nobody can reach the control plane (or its PostgreSQL through it).
        await cluster.StopControlPlaneAsync();
        await WaitSwitchedOnTimeAsync(cluster, next, activateAt);

        await cluster.StartControlPlaneAgainAsync();
        var completed = await Eventually.ReadUntilAsync(() => ScheduleAsync(cluster, schedule.Id), s => s.State != "Activating",
            "the schedule completes from the agents' reports");
        Assert.Equal("Completed", completed.State);
        Assert.Equal("Live", completed.Activation!.State);
        Assert.Equal(next, (await cluster.Api.EnvironmentAsync(cluster.Environment)).LiveRelease!.Id);
    }
}
