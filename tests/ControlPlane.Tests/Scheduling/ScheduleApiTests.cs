using System.Net;
using ControlPlane.Tests.Releases;
using ControlPlane.Tests.Support;
using static ControlPlane.Tests.Scheduling.SchedulesApi;

namespace ControlPlane.Tests.Scheduling;

/// <summary>Creating, listing, moving and cancelling schedules; what is refused and why. The clock stands still.</summary>
public sealed class ScheduleApiTests(ScheduleClockFixture fixture) : IClassFixture<ScheduleClockFixture>
{
    private static readonly DateTimeOffset Now = FixedTimeProvider.Default;

    private HttpClient Client => fixture.Client;

    private async Task<(string Environment, long Release)> ReleaseAsync()
    {
        var environment = await Client.NewEnvironmentAsync("east");
        var release = await Client.CreateReleaseAsync(environment, await Client.ImportCatalogueAsync());
        return (environment, release);
    }

    [Fact]
    public async Task A_local_time_in_an_IANA_zone_is_that_instant_and_the_view_shows_it_back_in_the_zone()
    {
        var (environment, release) = await ReleaseAsync();
        var schedule = await Client.CreateScheduleAsync(new
        {
            release, activateAt = "2025-11-11T00:00:00", revertAt = "2025-11-11T23:59:00", timeZone = "Asia/Shanghai", note = "Double 11",
        });

        Assert.Equal(environment, schedule.Environment);
        Assert.Equal(new DateTimeOffset(2025, 11, 10, 16, 0, 0, TimeSpan.Zero), schedule.ActivateAt);
        Assert.Equal(new DateTimeOffset(2025, 11, 11, 15, 59, 0, TimeSpan.Zero), schedule.RevertAt);
        Assert.Equal("2025-11-11T00:00:00+08:00", schedule.ActivateAtLocal);
        Assert.Equal(TimeSpan.FromMinutes(10), schedule.LeadTime);
        Assert.Equal(schedule.ActivateAt - TimeSpan.FromMinutes(10), schedule.PrestageAt);
        Assert.Equal(("Scheduled", "waiting"), (schedule.State, schedule.Phase));
        Assert.False(schedule.AtRisk);
        Assert.Single(schedule.EventsOf("created"));

        var listed = await Client.GetOkAsync<List<ScheduleDto>>($"/api/v1/schedules?environment={environment}");
        Assert.Equal(schedule.Id, Assert.Single(listed).Id);
    }

    [Fact]
    public async Task An_instant_with_an_offset_is_taken_as_given()
    {
        var (_, release) = await ReleaseAsync();
        var schedule = await Client.CreateScheduleAsync(new { release, activateAt = "2025-06-18T20:00:00-04:00", timeZone = "Europe/Berlin", leadTime = "00:02:00" });
        Assert.Equal(new DateTimeOffset(2025, 6, 19, 0, 0, 0, TimeSpan.Zero), schedule.ActivateAt);
        Assert.Equal("2025-06-19T02:00:00+02:00", schedule.ActivateAtLocal);
        Assert.Equal(TimeSpan.FromMinutes(2), schedule.LeadTime);
        Assert.Null(schedule.RevertAt);
    }

    [Theory]
    [InlineData("""{"activateAt":"2025-11-11T00:00:00Z"}""", "release")]
    [InlineData("""{"release":RELEASE,"activateAt":"2025-11-11T00:00:00","timeZone":"Mars/Olympus"}""", "timeZone")]
    [InlineData("""{"release":RELEASE,"activateAt":"2025-03-01T00:00:00Z"}""", "activateAt")]
    [InlineData("""{"release":RELEASE,"activateAt":"next tuesday"}""", "activateAt")]
    [InlineData("""{"release":RELEASE,"activateAt":"2025-03-30T02:30:00","timeZone":"Europe/Berlin"}""", "activateAt")]
    [InlineData("""{"release":RELEASE,"activateAt":"2025-10-26T02:30:00","timeZone":"Europe/Berlin"}""", "activateAt")]
    [InlineData("""{"release":RELEASE,"activateAt":"2025-11-11T00:00:00Z","revertAt":"2025-11-10T23:00:00Z"}""", "revertAt")]
    [InlineData("""{"release":RELEASE,"activateAt":"2025-11-11T00:00:00Z","revertTo":1}""", "revertTo")]
    [InlineData("""{"release":RELEASE,"activateAt":"2025-11-11T00:00:00Z","leadTime":"2.00:00:00"}""", "leadTime")]
    [InlineData("""{"release":RELEASE,"recurring":{"cron":"every evening","duration":"02:00:00"}}""", "recurring.cron")]
    [InlineData("""{"release":RELEASE,"recurring":{"cron":"0 0 20 * * ?"}}""", "recurring.duration")]
    [InlineData("""{"release":RELEASE,"recurring":{"cron":"0 0 * * * ?","duration":"02:00:00"}}""", "recurring.duration")]
    [InlineData("""{"release":RELEASE,"activateAt":"2025-11-11T00:00:00Z","recurring":{"cron":"0 0 20 * * ?","duration":"02:00:00"}}""", "recurring")]
    public async Task Bad_input_is_refused_naming_the_field(string body, string field)
    {
        var (environment, release) = await ReleaseAsync();
        using var content = new StringContent(body.Replace("RELEASE", release.ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal),
            System.Text.Encoding.UTF8, "application/json");
        using var response = await Client.PostAsync("/api/v1/schedules", content);
        var problem = await Problem.ReadAsync(response, HttpStatusCode.BadRequest);
        Assert.Equal(field, Assert.Single(problem.Errors).Field);
        Assert.Empty(await Client.GetOkAsync<List<ScheduleDto>>($"/api/v1/schedules?environment={environment}"));
    }

    [Fact]
    public async Task An_unknown_release_is_404()
    {
        using var response = await Client.PostScheduleAsync(new { release = 987654, activateAt = "2025-11-11T00:00:00Z" });
        await Problem.ReadAsync(response, HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task Overlapping_windows_on_one_environment_are_409_naming_the_other_schedule()
    {
        var (environment, release) = await ReleaseAsync();
        var first = await Client.CreateScheduleAsync(new { release, activateAt = "2025-11-11T00:00:00+08:00", revertAt = "2025-11-11T23:59:00+08:00" });

        // Its pre-staging (10 minutes ahead) falls inside the first window.
        using var overlapping = await Client.PostScheduleAsync(new { release, activateAt = "2025-11-11T12:00:00+08:00" });
        var problem = await Problem.ReadAsync(overlapping, HttpStatusCode.Conflict);
        Assert.Contains($"schedule {first.Id}", problem.Detail, StringComparison.Ordinal);
        Assert.Equal(first.Id, problem.Raw.GetProperty("scheduleId").GetInt64());

        // A recurring window whose third evening meets it is refused as well.
        using var recurring = await Client.PostScheduleAsync(new { release, timeZone = "Asia/Shanghai", recurring = new { cron = "0 0 20 * * ?", duration = "02:00:00" } });
        Assert.Contains($"schedule {first.Id}", (await Problem.ReadAsync(recurring, HttpStatusCode.Conflict)).Detail, StringComparison.Ordinal);

        // After the window, and on another environment, it is fine.
        await Client.CreateScheduleAsync(new { release, activateAt = "2025-11-12T12:00:00+08:00" });
        var (_, elsewhere) = await ReleaseAsync();
        await Client.CreateScheduleAsync(new { release = elsewhere, activateAt = "2025-11-11T12:00:00+08:00" });

        // Cancelled, the first no longer holds the window.
        await Client.CancelScheduleAsync(first.Id);
        await Client.CreateScheduleAsync(new { release, activateAt = "2025-11-11T12:00:00+08:00" });
        Assert.Equal(3, (await Client.GetOkAsync<List<ScheduleDto>>($"/api/v1/schedules?environment={environment}")).Count);
    }

    [Fact]
    public async Task A_recurring_window_starts_at_the_next_cron_firing_in_its_zone()
    {
        var (_, release) = await ReleaseAsync();
        var schedule = await Client.CreateScheduleAsync(new { release, timeZone = "Asia/Shanghai", recurring = new { cron = "0 0 20 * * ?", duration = "02:00:00" } });

        // The clock reads 2025-03-14T15:09:26Z, 23:09 in Shanghai: the next 20:00 there is the 15th.
        Assert.Equal("2025-03-15T20:00:00+08:00", schedule.ActivateAtLocal);
        Assert.Equal("2025-03-15T22:00:00+08:00", schedule.RevertAtLocal);
        Assert.Equal(new RecurringDto("0 0 20 * * ?", TimeSpan.FromHours(2)), schedule.Recurring);
        Assert.Equal(1, schedule.Occurrence);
    }

    [Fact]
    public async Task Reschedule_moves_the_times_and_keeps_the_rest_and_cancel_is_final()
    {
        var (_, release) = await ReleaseAsync();
        var schedule = await Client.CreateScheduleAsync(new { release, activateAt = Iso(Now.AddHours(2)), revertAt = Iso(Now.AddHours(4)), note = "flash" });

        using (var moved = await Client.PatchScheduleAsync(schedule.Id, new { activateAt = Iso(Now.AddHours(3)) }))
        {
            var view = await Http.ReadAsync<ScheduleDto>(moved, HttpStatusCode.OK);
            Assert.Equal(Now.AddHours(3), view.ActivateAt);
            Assert.Equal(Now.AddHours(4), view.RevertAt);
            Assert.Equal("flash", view.Note);
            Assert.Single(view.EventsOf("rescheduled"));
        }

        using (var backwards = await Client.PatchScheduleAsync(schedule.Id, new { revertAt = Iso(Now.AddHours(1)) }))
        {
            Assert.Equal("revertAt", Assert.Single((await Problem.ReadAsync(backwards, HttpStatusCode.BadRequest)).Errors).Field);
        }

        var cancelled = await Client.CancelScheduleAsync(schedule.Id);
        Assert.Equal("Cancelled", cancelled.State);
        Assert.Contains("Cancelled by", cancelled.Reason, StringComparison.Ordinal);

        using var again = await Client.DeleteAsync($"/api/v1/schedules/{schedule.Id}");
        await Problem.ReadAsync(again, HttpStatusCode.Conflict);
        using var move = await Client.PatchScheduleAsync(schedule.Id, new { activateAt = Iso(Now.AddHours(5)) });
        await Problem.ReadAsync(move, HttpStatusCode.Conflict);
        using var missing = await Client.DeleteAsync("/api/v1/schedules/999999");
        await Problem.ReadAsync(missing, HttpStatusCode.NotFound);
    }
}
