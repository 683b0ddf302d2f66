using System.Net;
using System.Net.Http.Json;
using ControlPlane.Tests.Support;

namespace ControlPlane.Tests.Scheduling;

/// <summary>The schedules API as the tests call it.</summary>
public static class SchedulesApi
{
    public static Task<HttpResponseMessage> PostScheduleAsync(this HttpClient client, object request) =>
        client.PostAsJsonAsync("/api/v1/schedules", request, Http.Json);

    public static async Task<ScheduleDto> CreateScheduleAsync(this HttpClient client, object request)
    {
        using var response = await client.PostScheduleAsync(request);
        var schedule = await Http.ReadAsync<ScheduleDto>(response, HttpStatusCode.Created);
        Assert.Equal($"/api/v1/schedules/{schedule.Id}", response.Headers.Location?.OriginalString);
        return schedule;
    }

    public static Task<ScheduleDto> ScheduleAsync(this HttpClient client, long id) => client.GetOkAsync<ScheduleDto>($"/api/v1/schedules/{id}");

    public static async Task<ScheduleDto> CancelScheduleAsync(this HttpClient client, long id)
    {
        using var response = await client.DeleteAsync($"/api/v1/schedules/{id}");
        return await Http.ReadAsync<ScheduleDto>(response, HttpStatusCode.OK);
    }

    public static Task<HttpResponseMessage> PatchScheduleAsync(this HttpClient client, long id, object request) =>
        client.PatchAsJsonAsync($"/api/v1/schedules/{id}", request, Http.Json);

    /// <summary>An instant as the API takes it: ISO 8601 with its offset.</summary>
    public static string Iso(DateTimeOffset instant) => instant.ToString("yyyy-MM-dd'T'HH:mm:ss.fffzzz", System.Globalization.CultureInfo.InvariantCulture);
}
