using System.Text.RegularExpressions;
using AdminUi.Tests.Support;
using EndToEnd.Tests.Support;
using Microsoft.Playwright;
using Xunit.Abstractions;
using static Microsoft.Playwright.Assertions;

namespace AdminUi.Tests;

/// <summary>An operator's night in the browser, against the real UI, control plane, agents, Postgres and Redis.</summary>
public sealed partial class PublishAndRollbackTests(ITestOutputHelper output)
{
    private static readonly LocatorAssertionsToHaveAttributeOptions Slow = new() { Timeout = 90_000 };

    [Fact]
    public async Task An_operator_publishes_a_release_watches_it_go_live_opens_a_diff_and_rolls_back_from_the_environment_page()
    {
        await using var deployment = await UiDeployment.StartAsync(output, "ui");
        var cluster = deployment.Cluster;
        var environment = cluster.Environment;

        // Data arrives through the API, as CI imports it; the first release is live before the operator signs in.
        var first = await cluster.ImportContentAsync(300, content: 1);
        var (firstRelease, _) = await cluster.PublishLiveAsync(first);
        var second = await cluster.ImportContentAsync(300, content: 2);

        var page = await deployment.SignInAsync(Users.Operator, Users.OperatorPassword);
        var card = page.Locator($"[data-env='{environment}']");
        await Expect(card.GetByTestId("live-release")).ToHaveTextAsync($"#{firstRelease}");
        await UiDeployment.ScreenshotAsync(page, "dashboard");

        // A new release from the latest versions, which the form preselects, with what changes against what is live.
        await page.GotoAsync($"/releases/new?environment={environment}");
        foreach (var (dataset, version) in second)
        {
            await Expect(page.GetByTestId($"version-{dataset}")).ToHaveValueAsync(version.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }

        await page.GetByTestId("note").FillAsync("content 2");
        await page.GetByTestId("preview-changes").ClickAsync();
        var preview = page.GetByTestId("preview");
        await Expect(preview).ToContainTextAsync("900 records change in all");
        await UiDeployment.ScreenshotAsync(page, "new-release");

        await page.GetByTestId("create-release").ClickAsync();
        await Expect(page).ToHaveURLAsync(ReleaseUrl());
        var secondRelease = long.Parse(ReleaseUrl().Match(page.Url).Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
        Assert.Equal(second, (await cluster.Api.ReleaseAsync(secondRelease)).Release.Versions);

        // Publish, then watch the progress on the same page, without reloading it, until the release is live.
        await page.GetByTestId("publish").ClickAsync();
        var publication = page.GetByTestId("publication");
        await Expect(publication).ToBeVisibleAsync();
        await Expect(publication).ToHaveAttributeAsync("data-state", "Live", Slow);
        await Expect(publication.Locator("[data-agent]")).ToHaveCountAsync(cluster.Agents.Count);
        await UiDeployment.ScreenshotAsync(page, "release-live");
        await cluster.WaitPointersAsync(secondRelease);

        // The diff of the price versions, as the API counts it.
        await page.GotoAsync("/datasets/price");
        await page.GetByTestId("diff-from").FillAsync(first["price"].ToString(System.Globalization.CultureInfo.InvariantCulture));
        await page.GetByTestId("diff-to").FillAsync(second["price"].ToString(System.Globalization.CultureInfo.InvariantCulture));
        await page.GetByTestId("show-diff").ClickAsync();
        await Expect(page.GetByTestId("diff-summary")).ToContainTextAsync("~300 changed");
        await Expect(page.GetByTestId("diff").Locator("tbody tr")).ToHaveCountAsync(50);
        await Expect(page.GetByTestId("diff")).ToContainTextAsync("1001.25");
        await UiDeployment.ScreenshotAsync(page, "diff");
        await page.GetByTestId("next-page").ClickAsync();
        await Expect(page.GetByTestId("diff").Locator("tbody tr").First).ToContainTextAsync("SKU-000051");

        // Roll back from the environment page: the confirmation names what goes live instead and how much changes.
        await page.GotoAsync($"/environments/{environment}");
        await Expect(page.GetByTestId("live-release").First).ToHaveTextAsync($"#{secondRelease}");
        await UiDeployment.ScreenshotAsync(page, "environment");
        await page.GetByTestId("rollback").ClickAsync();
        var confirm = page.GetByTestId("rollback-confirm");
        await Expect(confirm).ToContainTextAsync($"Release #{firstRelease} goes live instead of release #{secondRelease}");
        await Expect(page.GetByTestId("rollback-summary")).ToContainTextAsync("900 records change");
        await UiDeployment.ScreenshotAsync(page, "rollback-confirm");
        await page.GetByTestId("confirm-rollback").ClickAsync();
        await Expect(page.GetByTestId("done")).ToContainTextAsync($"release #{firstRelease} is live on every agent", new() { Timeout = 90_000 });
        await UiDeployment.ScreenshotAsync(page, "rollback-done");
        await cluster.WaitPointersAsync(firstRelease);

        await page.GotoAsync("/");
        await Expect(card.GetByTestId("live-release")).ToHaveTextAsync($"#{firstRelease}");

        // The audit log, filtered to the operator, shows her sign-in (what the control plane audits today).
        await page.GotoAsync("/audit");
        await page.GetByTestId("audit-actor").FillAsync(Users.Operator);
        await page.GetByTestId("audit-filter").ClickAsync();
        await Expect(page.GetByTestId("audit")).ToContainTextAsync("user.login");
        await Expect(page.GetByTestId("audit").Locator("tbody tr td:nth-child(2)")).ToContainTextAsync([Users.Operator]);
        await UiDeployment.ScreenshotAsync(page, "audit");
    }

    [GeneratedRegex(@"/releases/(\d+)$")]
    private static partial Regex ReleaseUrl();
}
