using System.Globalization;
using System.Text.RegularExpressions;
using AdminUi.Tests.Support;
using Microsoft.Playwright;
using Xunit.Abstractions;
using static Microsoft.Playwright.Assertions;

namespace AdminUi.Tests;

/// <summary>Schedules made and cancelled in the browser, shown in the user's time zone and UTC; pins set and lifted by an admin.</summary>
public sealed partial class SchedulesAndPinsTests(ITestOutputHelper output)
{
    private static readonly TimeZoneInfo Shanghai = TimeZoneInfo.FindSystemTimeZoneById("Asia/Shanghai");

    [Fact]
    public async Task An_operator_schedules_a_release_in_her_time_zone_sees_it_as_next_and_cancels_it_and_an_admin_pins_unpins_and_publishes_in_an_emergency()
    {
        await using var deployment = await UiDeployment.StartAsync(output, "ui-schedules");
        var cluster = deployment.Cluster;
        var environment = cluster.Environment;
        var (live, _) = await cluster.PublishLiveAsync(await cluster.ImportContentAsync(20, content: 1));
        var pending = await cluster.Api.CreateReleaseAsync(environment, await cluster.ImportContentAsync(20, content: 2), "Double 11 prices");

        // The operator's browser is in Shanghai: the form reads local times there, the pages show them there and in UTC.
        var page = await deployment.SignInAsync(Users.Operator, Users.OperatorPassword, timeZone: "Asia/Shanghai");
        await page.GotoAsync("/schedules");
        await Expect(page.GetByTestId("zone-note")).ToContainTextAsync("Asia/Shanghai");
        await Expect(page.GetByTestId("no-schedules")).ToBeVisibleAsync();
        await Expect(page.GetByTestId("schedule-zone")).ToHaveValueAsync("Asia/Shanghai");

        var localDay = TimeZoneInfo.ConvertTime(DateTimeOffset.UtcNow, Shanghai).Date.AddDays(2);
        var activateLocal = localDay.AddHours(20);
        var expectedUtc = new DateTimeOffset(activateLocal, TimeSpan.FromHours(8)).ToUniversalTime();
        await page.GetByTestId("schedule-release").SelectOptionAsync(pending.ToString(CultureInfo.InvariantCulture));
        await page.GetByTestId("schedule-activate-at").FillAsync(activateLocal.ToString("yyyy-MM-dd'T'HH:mm", CultureInfo.InvariantCulture));
        await page.GetByTestId("end-revert").CheckAsync();
        await page.GetByTestId("schedule-revert-at").FillAsync(activateLocal.AddHours(3).ToString("yyyy-MM-dd'T'HH:mm", CultureInfo.InvariantCulture));
        await page.GetByTestId("schedule-note").FillAsync("Double 11 at 20:00 Shanghai");
        await page.GetByTestId("create-schedule").ClickAsync();

        await Expect(page).ToHaveURLAsync(ScheduleUrl());
        var id = long.Parse(ScheduleUrl().Match(page.Url).Groups[1].Value, CultureInfo.InvariantCulture);
        var activate = page.GetByTestId("schedule-activate");
        await Expect(activate.GetByTestId("when-local")).ToContainTextAsync(activateLocal.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture) + " UTC+08:00");
        await Expect(activate.GetByTestId("when-utc")).ToContainTextAsync(expectedUtc.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture) + " UTC");
        var created = await deployment.AdminApi.GetScheduleAsync(id);
        Assert.Equal(expectedUtc, created.ActivateAt);
        Assert.Equal(expectedUtc.AddHours(3), created.RevertAt);
        Assert.Equal(pending, created.ReleaseId);
        Assert.Equal("Scheduled", created.State);

        // The list and the dashboard name it as the environment's next activation.
        await page.GotoAsync("/schedules");
        var row = page.Locator($"[data-schedule='{id}']");
        await Expect(row).ToContainTextAsync($"#{pending}");
        await Expect(row.GetByTestId("state")).ToHaveTextAsync("Scheduled");
        await UiDeployment.ScreenshotAsync(page, "schedules");
        await page.GotoAsync("/");
        await Expect(page.Locator($"[data-env='{environment}']").GetByTestId("next-activation")).ToContainTextAsync($"release #{pending} live at");

        // Cancel, confirmed on a page that says what will not happen and that what is live stays.
        await page.GotoAsync("/schedules");
        await row.GetByTestId("cancel-schedule").ClickAsync();
        await Expect(page.GetByTestId("cancel-summary")).ToContainTextAsync($"Release #{pending} will not go live in {environment}");
        await Expect(page.GetByTestId("cancel-confirm")).ToContainTextAsync($"Live in {environment} now: release #{live}");
        await UiDeployment.ScreenshotAsync(page, "schedule-cancel");
        await page.GetByTestId("cancel-reason").FillAsync("postponed");
        await page.GetByTestId("confirm-cancel").ClickAsync();
        await Expect(page).ToHaveURLAsync(ScheduleUrl());
        await Expect(page.GetByTestId("state").First).ToHaveTextAsync("Cancelled");
        var cancelled = await deployment.AdminApi.GetScheduleAsync(id);
        Assert.Equal("Cancelled", cancelled.State);
        Assert.Contains("postponed", cancelled.Reason, StringComparison.Ordinal);
        await page.GotoAsync($"/environments/{environment}");
        await Expect(page.GetByTestId("next-activation")).ToHaveTextAsync("No scheduled activation.");

        // An admin pins group east: the operator's publish and rollback buttons say why they are blocked.
        var admin = await deployment.SignInAsync(Users.Admin, Users.AdminPassword);
        await admin.GotoAsync($"/environments/{environment}");
        await admin.GetByTestId("pin-group").SelectOptionAsync("east");
        await admin.GetByTestId("pin-reason").FillAsync("Double 11 peak");
        await admin.GetByTestId("pin").ClickAsync();
        await Expect(admin.GetByTestId("pins")).ToContainTextAsync("Group east — “Double 11 peak” by ada");
        Assert.Single(await deployment.AdminApi.ListPinsAsync(environment));
        await UiDeployment.ScreenshotAsync(admin, "pinned");

        await page.GotoAsync($"/releases/{pending}");
        await Expect(page.GetByTestId("publish")).ToBeDisabledAsync();
        await Expect(page.GetByTestId("publish-blocked")).ToContainTextAsync("Blocked by a pin: group east pinned by ada");
        await page.GotoAsync($"/environments/{environment}");
        await Expect(page.GetByTestId("rollback-blocked")).ToContainTextAsync("Double 11 peak");
        await Expect(page.GetByTestId("pin")).ToBeDisabledAsync();

        await admin.GetByTestId("unpin-reason").FillAsync("peak over");
        await admin.GetByTestId("unpin").ClickAsync();
        await Expect(admin.GetByTestId("pins")).ToHaveCountAsync(0);
        Assert.Empty(await deployment.AdminApi.ListPinsAsync(environment));
        await page.GotoAsync($"/releases/{pending}");
        await Expect(page.GetByTestId("publish")).ToBeEnabledAsync();

        // The environment now needs an approval: the operator waits, the admin (the policy's emergency role) publishes
        // in an emergency, with the reason the form insists on, and the audit log keeps it.
        await deployment.AdminApi.PutPolicyAsync(environment, new ControlPlane.Client.PutPolicyRequest(1, EmergencyRole: "admin", Reason: "peak rules"));
        await page.ReloadAsync();
        await Expect(page.GetByTestId("publish")).ToBeDisabledAsync();
        await Expect(page.GetByTestId("publish-blocked")).ToContainTextAsync("Waiting for approval");
        await Expect(page.GetByTestId("emergency-form")).ToHaveCountAsync(0);

        await admin.GotoAsync($"/releases/{pending}");
        await admin.GetByTestId("emergency-publish").ClickAsync();
        await Expect(admin).ToHaveURLAsync(new Regex($"/releases/{pending}$"));
        Assert.Equal("Pending", (await deployment.AdminApi.GetReleaseAsync(pending)).State);
        await admin.GetByTestId("emergency-reason").FillAsync("wrong prices live, fix forward");
        await UiDeployment.ScreenshotAsync(admin, "emergency-publish");
        await admin.GetByTestId("emergency-publish").ClickAsync();
        await Expect(admin.GetByTestId("done")).ToContainTextAsync($"release #{pending} went live", new() { Timeout = 60_000 });
        var audit = await deployment.AdminApi.ListAuditAsync(new ControlPlane.Client.AuditFilter(Kind: "release.publish.emergency"));
        Assert.Contains(audit.Items, e => e.Reason == "wrong prices live, fix forward" && e.Actor == Users.Admin);
    }

    [GeneratedRegex(@"/schedules/(\d+)$")]
    private static partial Regex ScheduleUrl();
}
