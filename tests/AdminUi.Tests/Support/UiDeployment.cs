using System.Net.Http.Json;
using EndToEnd.Tests.Support;
using Microsoft.Playwright;
using Xunit.Abstractions;
using static Microsoft.Playwright.Assertions;

namespace AdminUi.Tests.Support;

/// <summary>A cluster (control plane, agents, their redis-servers, a fresh database), the admin UI over it, and a browser.</summary>
public sealed class UiDeployment : IAsyncDisposable
{
    private UiDeployment(Cluster cluster, AdminUiServer ui, Browser browser)
    {
        Cluster = cluster;
        Ui = ui;
        Browser = browser;
    }

    public Cluster Cluster { get; }

    public AdminUiServer Ui { get; }

    public Browser Browser { get; }

    public static async Task<UiDeployment> StartAsync(ITestOutputHelper output, string name)
    {
        var cluster = await Cluster.StartAsync(output, name);
        AdminUiServer? ui = null;
        try
        {
            // People sign in to the UI with users made through the API, as an admin makes them.
            foreach (var (user, password, role) in Users.All)
            {
                using var created = await cluster.ControlPlane.Client.PostAsJsonAsync("api/v1/users", new { username = user, password, role });
                Assert.True(created.IsSuccessStatusCode, $"creating user {user}: {(int)created.StatusCode} {await created.Content.ReadAsStringAsync()}");
            }

            ui = AdminUiServer.Start(cluster.ControlPlane.Address, cluster.Log);
            return new UiDeployment(cluster, ui, await Browser.LaunchAsync());
        }
        catch
        {
            if (ui is not null)
            {
                await ui.DisposeAsync();
            }

            await cluster.DisposeAsync();
            throw;
        }
    }

    /// <summary>The typed client of the control plane as the bootstrap admin, for setting up and checking through the API.</summary>
    public ControlPlane.Client.ControlPlaneClient AdminApi => new(Cluster.ControlPlane.Client);

    /// <summary>The typed client with <paramref name="user"/>'s own token, as the UI uses it for that user.</summary>
    public async Task<ControlPlane.Client.ControlPlaneClient> ApiAsAsync(string user, string password)
    {
        var login = await AdminApi.LoginAsync(user, password);
        return ControlPlane.Client.ControlPlaneClient.Create(Cluster.ControlPlane.Address, new ControlPlane.Client.ControlPlaneClientOptions { Token = login.Token });
    }

    /// <summary>Opens the UI in a fresh browser profile and signs in.</summary>
    public async Task<IPage> SignInAsync(string user, string password, string? timeZone = null)
    {
        var page = await Browser.NewPageAsync(Ui.Address, timeZone);
        await page.GotoAsync("/");
        await Expect(page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex("/login"));
        await page.GetByLabel("User name").FillAsync(user);
        await page.GetByLabel("Password").FillAsync(password);
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await Expect(page.GetByTestId("user")).ToContainTextAsync(user);
        return page;
    }

    /// <summary>Saves a screenshot under docs/screenshots when ADMINUI_SCREENSHOTS names that folder (scripts/screenshots).</summary>
    public static async Task ScreenshotAsync(IPage page, string name)
    {
        var folder = System.Environment.GetEnvironmentVariable("ADMINUI_SCREENSHOTS");
        if (string.IsNullOrEmpty(folder))
        {
            return;
        }

        Directory.CreateDirectory(folder);
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(folder, name + ".png"), FullPage = true });
    }

    public async ValueTask DisposeAsync()
    {
        await Browser.DisposeAsync();
        await Ui.DisposeAsync();
        await Cluster.DisposeAsync();
    }
}
