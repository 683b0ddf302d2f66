using System.Net;
using System.Net.Http.Json;
using AdminUi.Tests.Support;
using Microsoft.Playwright;
using Xunit.Abstractions;
using static Microsoft.Playwright.Assertions;

namespace AdminUi.Tests;

/// <summary>What a role cannot do is disabled in the UI, and the server refuses it anyway.</summary>
public sealed class RoleTests(ITestOutputHelper output)
{
    [Fact]
    public async Task A_viewer_sees_everything_but_cannot_create_publish_roll_back_schedule_or_pin_and_a_wrong_password_is_refused()
    {
        await using var deployment = await UiDeployment.StartAsync(output, "ui-roles");
        var cluster = deployment.Cluster;
        var (first, _) = await cluster.PublishLiveAsync(await cluster.ImportContentAsync(30, content: 1));
        var pending = await cluster.Api.CreateReleaseAsync(cluster.Environment, await cluster.ImportContentAsync(30, content: 2));

        // A wrong password is refused with words, not a stack trace.
        var stranger = await deployment.Browser.NewPageAsync(deployment.Ui.Address);
        await stranger.GotoAsync("/login");
        await stranger.GetByLabel("User name").FillAsync(Users.Viewer);
        await stranger.GetByLabel("Password").FillAsync("not-the-password");
        await stranger.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await Expect(stranger.GetByTestId("error")).ToContainTextAsync("The user name or password is wrong");

        var page = await deployment.SignInAsync(Users.Viewer, Users.ViewerPassword);
        await Expect(page.GetByTestId("user")).ToContainTextAsync("viewer");

        // The release page shows the release but its Publish button is disabled, with the reason beside it.
        await page.GotoAsync($"/releases/{pending}");
        var publish = page.GetByTestId("publish");
        await Expect(publish).ToBeDisabledAsync();
        await Expect(page.Locator(".hint").First).ToContainTextAsync("Your role (viewer) cannot publish");
        await UiDeployment.ScreenshotAsync(page, "viewer-release");

        await page.GotoAsync($"/environments/{cluster.Environment}");
        await Expect(page.GetByTestId("live-release").First).ToHaveTextAsync($"#{first}");
        await Expect(page.GetByTestId("rollback")).ToBeDisabledAsync();

        // Opened by its URL anyway (to the pending release), the rollback confirmation's button is disabled too.
        await page.GotoAsync($"/environments/{cluster.Environment}/rollback?to={pending}");
        await Expect(page.GetByTestId("rollback-confirm")).ToContainTextAsync($"Release #{pending} goes live instead of release #{first}");
        await Expect(page.GetByTestId("confirm-rollback")).ToBeDisabledAsync();

        // Schedules and pins: the viewer sees them, but the create and pin buttons are disabled with the reason.
        await page.GotoAsync($"/environments/{cluster.Environment}");
        await Expect(page.GetByTestId("pin")).ToBeDisabledAsync();
        await Expect(page.GetByTestId("pin-panel")).ToContainTextAsync("Your role (viewer) cannot pin or unpin");
        await page.GotoAsync("/schedules");
        await Expect(page.GetByTestId("create-schedule")).ToBeDisabledAsync();
        await Expect(page.GetByTestId("schedule-form-panel")).ToContainTextAsync("Your role (viewer) cannot create or cancel schedules");
        await Expect(page.GetByTestId("schedule-form")).ToHaveCountAsync(0);

        var viewerApi = await deployment.ApiAsAsync(Users.Viewer, Users.ViewerPassword);
        var schedule = await Assert.ThrowsAsync<ControlPlane.Client.ApiProblemException>(() => viewerApi.CreateScheduleAsync(
            new ControlPlane.Client.ScheduleRequest(pending, DateTimeOffset.UtcNow.AddDays(1).ToString("O"))));
        Assert.Equal((int)HttpStatusCode.Forbidden, schedule.Status);
        var pin = await Assert.ThrowsAsync<ControlPlane.Client.ApiProblemException>(() => viewerApi.PinAsync(
            cluster.Environment, new ControlPlane.Client.CreatePinRequest(null, "not mine to pin")));
        Assert.Equal((int)HttpStatusCode.Forbidden, pin.Status);
        Assert.Empty(await deployment.AdminApi.ListSchedulesAsync(cluster.Environment));
        Assert.Empty(await deployment.AdminApi.ListPinsAsync(cluster.Environment));

        // The server refuses it on its own: the viewer's own token cannot publish.
        using var api = new HttpClient { BaseAddress = cluster.ControlPlane.Address };
        using var login = await api.PostAsJsonAsync("api/v1/auth/login", new { username = Users.Viewer, password = Users.ViewerPassword });
        var token = (await login.Content.ReadFromJsonAsync<System.Text.Json.JsonElement>()).GetProperty("token").GetString();
        api.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token);
        using var refused = await api.PostAsync($"api/v1/releases/{pending}/publish", null);
        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        Assert.Equal("Pending", (await cluster.Api.ReleaseAsync(pending)).State);
    }
}
