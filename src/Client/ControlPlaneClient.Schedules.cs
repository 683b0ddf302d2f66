namespace ControlPlane.Client;

public sealed partial class ControlPlaneClient
{
    /// <summary>POST /api/v1/schedules (operator): 201 with the schedule; 409 when its window overlaps another's.</summary>
    public async Task<ScheduleView> CreateScheduleAsync(ScheduleRequest request, CancellationToken cancellationToken = default) =>
        (await SendAsync<ScheduleView>(Request(HttpMethod.Post, "api/v1/schedules", Json(request)), cancellationToken)).Body;

    /// <summary>GET /api/v1/schedules: newest first, optionally of one environment or state, before a schedule id.</summary>
    public async Task<IReadOnlyList<ScheduleView>> ListSchedulesAsync(
        string? environment = null, string? state = null, long? before = null, int? limit = null, CancellationToken cancellationToken = default) =>
        (await SendAsync<List<ScheduleView>>(Request(HttpMethod.Get,
            Query("api/v1/schedules", ("environment", environment), ("state", state), ("before", before), ("limit", limit))), cancellationToken)).Body;

    /// <summary>GET /api/v1/schedules/{id}: with its publications, risk and history (events).</summary>
    public async Task<ScheduleView> GetScheduleAsync(long id, CancellationToken cancellationToken = default) =>
        (await SendAsync<ScheduleView>(Request(HttpMethod.Get, $"api/v1/schedules/{id}"), cancellationToken)).Body;

    /// <summary>PATCH /api/v1/schedules/{id} (operator): reschedules; only the fields given change.</summary>
    public async Task<ScheduleView> RescheduleAsync(long id, ScheduleRequest request, CancellationToken cancellationToken = default) =>
        (await SendAsync<ScheduleView>(Request(HttpMethod.Patch, $"api/v1/schedules/{id}", Json(request)), cancellationToken)).Body;

    /// <summary>POST /api/v1/schedules/{id}/cancel (operator): cancels what is left of the schedule, with the reason audited.</summary>
    public async Task<ScheduleView> CancelScheduleAsync(long id, string? reason = null, CancellationToken cancellationToken = default) =>
        (await SendAsync<ScheduleView>(Request(HttpMethod.Post, $"api/v1/schedules/{id}/cancel", Json(new { reason })), cancellationToken)).Body;

    /// <summary>
    /// POST /api/v1/environments/{name}/rollback, confirming with <paramref name="overrideSchedule"/> a rollback while a
    /// schedule holds the environment (409 without it): the schedule's remaining steps are skipped (Overridden, audited).
    /// </summary>
    public async Task<PublicationInfo> RollbackAsync(
        string environment, long? toRelease, string? reason, bool overrideSchedule, CancellationToken cancellationToken = default) =>
        (await SendAsync<PublicationInfo>(Request(HttpMethod.Post, $"api/v1/environments/{Segment(environment)}/rollback",
            Json(new { toRelease, reason, overrideSchedule })), cancellationToken)).Body;
}
