using System.Net;
using System.Net.Http.Json;
using ControlPlane.Tests.Releases;
using ControlPlane.Tests.Support;

namespace ControlPlane.Tests.Identity;

/// <summary>Pins freeze what is live: publishes and rollbacks answer 409 naming the pin until it is removed.</summary>
public sealed class PinTests(ControlPlaneFixture fixture) : IClassFixture<ControlPlaneFixture>
{
    private HttpClient Admin => fixture.Client;

    [Fact]
    public async Task A_pinned_environment_refuses_publishes_naming_the_pin_until_it_is_removed()
    {
        var environment = await Admin.NewEnvironmentAsync("east", "west");
        var release = await Admin.CreateReleaseAsync(environment, await Admin.ImportCatalogueAsync());
        var pin = await Admin.PinAsync(environment, "Double 11 freeze");

        using var refused = await Admin.PostPublishAsync(release);
        var problem = await Problem.ReadAsync(refused, HttpStatusCode.Conflict);
        Assert.Contains($"pin {pin.Id}", problem.Detail, StringComparison.Ordinal);
        Assert.Contains("Double 11 freeze", problem.Detail, StringComparison.Ordinal);
        Assert.Contains(ControlPlaneFixture.AdminName, problem.Detail, StringComparison.Ordinal);
        Assert.Equal(pin.Id, problem.Json("pins")[0].GetProperty("id").GetInt64());
        Assert.Equal("Pending", (await Admin.ReleaseAsync(release)).State);

        using var removed = await Admin.DeleteAsync($"/api/v1/environments/{environment}/pin/{pin.Id}?reason=freeze%20over");
        Assert.Equal(HttpStatusCode.OK, removed.StatusCode);
        using var published = await Admin.PostPublishAsync(release);
        Assert.Equal(HttpStatusCode.Accepted, published.StatusCode);
        var audit = await Admin.AuditAsync($"environment={environment}&kind=environment");
        Assert.Equal(["environment.unpin", "environment.pin", "environment.create"], audit.Items.Select(e => e.Kind));
        Assert.Equal("freeze over", audit.Items[0].Reason);
    }

    [Fact]
    public async Task A_pin_of_one_group_also_refuses_a_publish_to_the_whole_environment_and_a_rollback()
    {
        var environment = await Admin.NewEnvironmentAsync("east", "west");
        var a = await TestAgent.RegisterAsync(Admin, environment + "-a", environment, "east");
        var first = await Admin.CreateReleaseAsync(environment, await Admin.ImportCatalogueAsync());
        await Admin.MakeLiveAsync(first, [a]);
        var second = await Admin.CreateReleaseAsync(environment, await Admin.ImportCatalogueAsync(seed: 2));
        await Admin.MakeLiveAsync(second, [a]);
        var pin = await Admin.PinAsync(environment, "west is under investigation", group: "west");

        using var publish = await Admin.PostPublishAsync(first);
        using var rollback = await Admin.PostAsync($"/api/v1/environments/{environment}/rollback", null);

        Assert.Contains("group 'west'", (await Problem.ReadAsync(publish, HttpStatusCode.Conflict)).Detail, StringComparison.Ordinal);
        Assert.Contains($"pin {pin.Id}", (await Problem.ReadAsync(rollback, HttpStatusCode.Conflict)).Detail, StringComparison.Ordinal);
        Assert.Equal(second, (await Admin.EnvironmentAsync(environment)).LiveRelease?.Id);
    }

    [Fact]
    public async Task Pins_show_in_the_environment_view_and_list_and_a_second_pin_of_the_same_scope_is_409()
    {
        var environment = await Admin.NewEnvironmentAsync("east");
        var pin = await Admin.PinAsync(environment, "audit in progress");

        var view = await Admin.GetOkAsync<PinnedProbe>($"/api/v1/environments/{environment}");
        var listed = (await Admin.GetOkAsync<List<PinnedSummaryProbe>>("/api/v1/environments")).Single(e => e.Name == environment);
        using var again = await Admin.PostAsJsonAsync($"/api/v1/environments/{environment}/pin", new { reason = "again" }, Http.Json);

        Assert.Equal(pin, Assert.Single(view.Pins));
        Assert.Equal(pin, Assert.Single(listed.Pins));
        await Problem.ReadAsync(again, HttpStatusCode.Conflict);
        Assert.Single(await Admin.GetOkAsync<List<PinDto>>($"/api/v1/environments/{environment}/pins"));
    }

    [Theory]
    [InlineData("""{"reason":""}""", "reason")]
    [InlineData("""{}""", "reason")]
    [InlineData("""{"reason":"x","group":"no-such-group"}""", "group")]
    [InlineData("""{"reason":"x","group":"East; DROP TABLE pins"}""", "group")]
    public async Task A_malformed_pin_is_400_naming_the_field_and_pins_nothing(string body, string field)
    {
        var environment = await Admin.NewEnvironmentAsync("east");

        using var response = await Admin.PostAsync($"/api/v1/environments/{environment}/pin", new StringContent(body, System.Text.Encoding.UTF8, "application/json"));

        Assert.Equal(field, Assert.Single((await Problem.ReadAsync(response, HttpStatusCode.BadRequest)).Errors).Field);
        Assert.Empty(await Admin.GetOkAsync<List<PinDto>>($"/api/v1/environments/{environment}/pins"));
    }

    [Fact]
    public async Task Only_admins_pin_and_unpin()
    {
        var environment = await Admin.NewEnvironmentAsync("east");
        var pin = await Admin.PinAsync(environment, "freeze");
        using var ops = await fixture.ClientAsAsync("opal", "operator");

        using var pinning = await ops.PostAsJsonAsync($"/api/v1/environments/{environment}/pin", new { reason = "mine" }, Http.Json);
        using var unpinning = await ops.DeleteAsync($"/api/v1/environments/{environment}/pin/{pin.Id}");

        await Problem.ReadAsync(pinning, HttpStatusCode.Forbidden);
        await Problem.ReadAsync(unpinning, HttpStatusCode.Forbidden);
        Assert.Equal([pin], await Admin.GetOkAsync<List<PinDto>>($"/api/v1/environments/{environment}/pins"));
    }

    private sealed record PinnedProbe(string Name, List<PinDto> Pins);

    private sealed record PinnedSummaryProbe(string Name, List<PinDto> Pins);
}
