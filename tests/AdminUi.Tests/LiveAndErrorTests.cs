using AdminUi.Tests.Support;
using Microsoft.Playwright;
using Xunit.Abstractions;
using static Microsoft.Playwright.Assertions;

namespace AdminUi.Tests;

/// <summary>Pages follow the control plane without reloads, say when they are stale, and show API errors as words.</summary>
public sealed class LiveAndErrorTests(ITestOutputHelper output)
{
    [Fact]
    public async Task The_dashboard_follows_a_publication_without_reload_and_says_it_is_stale_while_the_connection_is_lost()
    {
        await using var deployment = await UiDeployment.StartAsync(output, "ui-live");
        var cluster = deployment.Cluster;
        var page = await deployment.SignInAsync(Users.Operator, Users.OperatorPassword);
        var card = page.Locator($"[data-env='{cluster.Environment}']");
        await Expect(card.GetByTestId("live-release")).ToHaveTextAsync("nothing live");

        // Published by someone else (CI, through the API) while the page is open: the card changes by itself.
        var (release, _) = await cluster.PublishLiveAsync(await cluster.ImportContentAsync(50, content: 1));
        await Expect(card.GetByTestId("live-release")).ToHaveTextAsync($"#{release}");
        var banner = page.Locator("#stale-banner");
        await Expect(banner).ToBeHiddenAsync();

        // The browser loses its connection to the UI: the page keeps what it shows and says it is stale.
        await page.Context.SetOfflineAsync(true);
        await Expect(banner).ToBeVisibleAsync();
        await Expect(banner).ToContainTextAsync("connection to the admin UI is lost");
        await Expect(page.Locator("body")).ToHaveAttributeAsync("data-live-state", "stale");
        await Expect(card.GetByTestId("live-release")).ToHaveTextAsync($"#{release}");
        await page.Context.SetOfflineAsync(false);
        await Expect(banner).ToBeHiddenAsync();

        // The UI loses the control plane: stale again, until it is back.
        await page.GotoAsync($"/environments/{cluster.Environment}");
        await cluster.StopControlPlaneAsync();
        await Expect(banner).ToBeVisibleAsync();
        await Expect(banner).ToContainTextAsync("cannot reach the control plane");
        await Expect(page.GetByTestId("live-release").First).ToHaveTextAsync($"#{release}");
        await UiDeployment.ScreenshotAsync(page, "stale");
        await cluster.StartControlPlaneAgainAsync();
        await Expect(banner).ToBeHiddenAsync(new() { Timeout = 30_000 });
    }

    [Fact]
    public async Task Api_errors_show_as_readable_messages_without_a_stack_trace()
    {
        await using var deployment = await UiDeployment.StartAsync(output, "ui-errors");
        var versions = await deployment.Cluster.ImportContentAsync(20, content: 1);
        var page = await deployment.SignInAsync(Users.Operator, Users.OperatorPassword);

        await page.GotoAsync($"/datasets/price/diff?from={versions["price"]}&to=99");
        var error = page.GetByTestId("error");
        await Expect(error).ToContainTextAsync("has no version 99");

        await page.GotoAsync("/releases/987654");
        await Expect(page.GetByTestId("error")).ToContainTextAsync("There is no release 987654");

        await page.GotoAsync("/datasets/price?sku=NO-SUCH-SKU");
        await Expect(page.GetByTestId("error")).ToContainTextAsync("'NO-SUCH-SKU' is not in version");

        var text = await page.Locator("body").InnerTextAsync();
        Assert.DoesNotContain("Exception", text, StringComparison.Ordinal);
        // No frame of a .NET stack trace ("at Namespace.Type.Method(").
        Assert.DoesNotMatch(@"\bat [A-Z][\w.`<>]+\.[\w<>]+\(", text);
    }
}
