using System.Net;
using System.Text;
using System.Text.RegularExpressions;
using AdminUi.Tests.Support;
using ControlPlane.Client;
using Xunit.Abstractions;
using static Microsoft.Playwright.Assertions;

namespace AdminUi.Tests;

/// <summary>A publication in two waves, promoted from the browser; a viewer can neither promote nor get the server to.</summary>
public sealed partial class WavesTests(ITestOutputHelper output)
{
    [Fact]
    public async Task An_operator_publishes_in_two_waves_sees_the_groups_differ_and_promotes_while_a_viewer_cannot()
    {
        await using var deployment = await UiDeployment.StartAsync(output, "ui-waves");
        var cluster = deployment.Cluster;
        var environment = cluster.Environment;
        var (first, _) = await cluster.PublishLiveAsync(await cluster.ImportContentAsync(40, content: 1));
        var second = await cluster.Api.CreateReleaseAsync(environment, await cluster.ImportContentAsync(40, content: 2));

        // Waves by group, east first (the form's default order), promoted by hand.
        var page = await deployment.SignInAsync(Users.Operator, Users.OperatorPassword);
        await page.GotoAsync($"/releases/{second}");
        await page.GetByTestId("mode-waves").CheckAsync();
        await Expect(page.GetByTestId("wave-east")).ToHaveValueAsync("1");
        await Expect(page.GetByTestId("wave-west")).ToHaveValueAsync("2");
        await page.GetByTestId("publish").ClickAsync();

        var holding = page.GetByTestId("holding");
        await Expect(holding).ToContainTextAsync("Wave 1 of 2 is live; wave 2 (group west) waits", new() { Timeout = 60_000 });
        await Expect(page.Locator("[data-wave='1']")).ToHaveAttributeAsync("data-state", "Live");
        await Expect(page.Locator("[data-wave='2']")).ToHaveAttributeAsync("data-state", "Pending");
        await UiDeployment.ScreenshotAsync(page, "waves-holding");
        await cluster.WaitPointersAsync(second, [cluster.Agent("east")]);
        await cluster.WaitPointersAsync(first, [cluster.Agent("west")]);

        // The environment page says which release each group serves meanwhile.
        await page.GotoAsync($"/environments/{environment}");
        await Expect(page.Locator("[data-group='east']")).ToContainTextAsync($"serves release #{second}");
        await Expect(page.Locator("[data-group='west']")).ToContainTextAsync($"serves release #{first}");

        // A viewer sees the same state but Promote and Abort are disabled, and the server refuses her anyway.
        var viewer = await deployment.SignInAsync(Users.Viewer, Users.ViewerPassword);
        await viewer.GotoAsync($"/releases/{second}");
        await Expect(viewer.GetByTestId("holding")).ToBeVisibleAsync();
        await Expect(viewer.GetByTestId("promote")).ToBeDisabledAsync();
        await Expect(viewer.GetByTestId("abort")).ToBeDisabledAsync();
        var viewerApi = await deployment.ApiAsAsync(Users.Viewer, Users.ViewerPassword);
        var refused = await Assert.ThrowsAsync<ApiProblemException>(() => viewerApi.PromoteAsync(second));
        Assert.Equal((int)HttpStatusCode.Forbidden, refused.Status);
        Assert.Equal("Holding", (await deployment.AdminApi.GetReleaseAsync(second)).Publication!.State);

        // The abort confirmation says what would go back; the operator promotes instead.
        await page.GotoAsync($"/releases/{second}/abort");
        await Expect(page.GetByTestId("abort-summary")).ToContainTextAsync($"wave 1 (group east) goes back to release #{first}");
        await page.GotoAsync($"/releases/{second}");
        await page.GetByTestId("promote").ClickAsync();
        await Expect(page.GetByTestId("promote-confirm")).ToContainTextAsync("Wave 2 (group west) stages release");
        await UiDeployment.ScreenshotAsync(page, "promote-confirm");
        await page.GetByTestId("confirm-promote").ClickAsync();
        await Expect(page.GetByTestId("publication")).ToHaveAttributeAsync("data-state", "Live", new() { Timeout = 60_000 });
        await Expect(page.Locator("[data-wave='2']")).ToHaveAttributeAsync("data-state", "Live");
        await cluster.WaitPointersAsync(second);
        Assert.Equal("Live", (await deployment.AdminApi.GetReleaseAsync(second)).State);

        // A live stock change afterwards: each agent's row says which change it applied and that it is up to date.
        using (var change = new StringContent("{\"op\":\"upsert\",\"sku\":\"SKU-000001\",\"available\":7}\n", Encoding.UTF8, "application/x-ndjson"))
        using (var accepted = await cluster.ControlPlane.Client.PostAsync("api/v1/datasets/stock/changes", change))
        {
            Assert.True(accepted.IsSuccessStatusCode, await accepted.Content.ReadAsStringAsync());
        }

        await page.GotoAsync($"/environments/{environment}");
        await Expect(page.GetByTestId("change-lag")).ToContainTextAsync([UpToDate(), UpToDate()], new() { Timeout = 30_000 });

        // The price versions' tier: the live one (and the one kept for rollback) are hot in the agents' Redis, and warm.
        await page.GotoAsync("/datasets/price");
        var newest = page.GetByTestId("versions").Locator("tbody tr").First.GetByTestId("tier");
        await Expect(newest).ToContainTextAsync("hot");
        await Expect(newest).ToContainTextAsync("warm");
    }

    [GeneratedRegex(@"stock: seq \d+, up to date")]
    private static partial Regex UpToDate();
}
