using AdminUi.Tests.Support;
using ControlPlane.Client;
using EndToEnd.Tests.Support;
using Xunit.Abstractions;
using static Microsoft.Playwright.Assertions;

namespace AdminUi.Tests;

/// <summary>At 00:00 the scheduled prices are wrong: the operator rolls back from the UI, overriding the schedule on purpose.</summary>
public sealed class ScheduleOverrideTests(ITestOutputHelper output)
{
    [Fact]
    public async Task A_rollback_while_a_schedule_holds_the_environment_asks_for_the_override_and_ends_the_schedule_overridden()
    {
        await using var deployment = await UiDeployment.StartAsync(output, "ui-override");
        var cluster = deployment.Cluster;
        var environment = cluster.Environment;
        var (first, _) = await cluster.PublishLiveAsync(await cluster.ImportContentAsync(20, content: 1));
        var (second, _) = await cluster.PublishLiveAsync(await cluster.ImportContentAsync(20, content: 2));
        var scheduled = await cluster.Api.CreateReleaseAsync(environment, await cluster.ImportContentAsync(20, content: 3));

        // Its lead time has begun: the schedule stages now and so holds the environment.
        var schedule = await deployment.AdminApi.CreateScheduleAsync(new ScheduleRequest(
            scheduled, DateTimeOffset.UtcNow.AddMinutes(30).ToString("O"), LeadTime: TimeSpan.FromHours(1)));
        await Eventually.ReadUntilAsync(() => deployment.AdminApi.GetScheduleAsync(schedule.Id), s => s.State == "Activating", "the schedule is activating");

        var page = await deployment.SignInAsync(Users.Operator, Users.OperatorPassword);
        await page.GotoAsync($"/environments/{environment}/rollback");
        await Expect(page.GetByTestId("rollback-confirm")).ToContainTextAsync($"Release #{first} goes live instead of release #{second}");
        await Expect(page.GetByTestId("override-schedule-label")).ToContainTextAsync($"Schedule #{schedule.Id} holds {environment} now");

        // Without ticking the override the browser does not send the form; with it, the rollback goes through.
        await page.GetByTestId("confirm-rollback").ClickAsync();
        await Expect(page.GetByTestId("rollback-confirm")).ToBeVisibleAsync();
        Assert.Equal(second, (await deployment.AdminApi.GetEnvironmentAsync(environment)).LiveRelease?.Id);
        await page.GetByTestId("override-schedule").CheckAsync();
        await page.GetByTestId("confirm-rollback").ClickAsync();
        await Expect(page.GetByTestId("done")).ToContainTextAsync($"release #{first} is live on every agent", new() { Timeout = 60_000 });
        await cluster.WaitPointersAsync(first);
        Assert.Equal("Overridden", (await deployment.AdminApi.GetScheduleAsync(schedule.Id)).State);
    }
}
