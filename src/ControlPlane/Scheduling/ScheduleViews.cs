using ControlPlane.Releases;
using Npgsql;

namespace ControlPlane.Scheduling;

/// <summary>Schedules as the API shows them: definition, occurrence, the publications they started, risk and history.</summary>
public sealed class ScheduleViews(NpgsqlDataSource dataSource, TimeProvider time)
{
    public async Task<ScheduleView?> GetAsync(long id, bool withEvents, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return await ScheduleStore.GetAsync(connection, id, lockRow: false, cancellationToken) is { } row
            ? await ViewAsync(connection, row, withEvents, cancellationToken)
            : null;
    }

    public async Task<IReadOnlyList<ScheduleView>> ListAsync(string? environment, string? state, long? before, int limit, CancellationToken cancellationToken)
    {
        var rows = await new ScheduleStore(dataSource).ListAsync(environment, state, before, limit, cancellationToken);
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var views = new List<ScheduleView>(rows.Count);
        foreach (var row in rows)
        {
            views.Add(await ViewAsync(connection, row, withEvents: false, cancellationToken));
        }

        return views;
    }

    private async Task<ScheduleView> ViewAsync(NpgsqlConnection connection, ScheduleRow row, bool withEvents, CancellationToken cancellationToken)
    {
        var zone = ScheduleTimes.FindZone(row.TimeZone) ?? TimeZoneInfo.Utc;
        var activation = await ScheduleStore.PublicationAsync(connection, row.ActivationPublicationId, cancellationToken);
        var revert = await ScheduleStore.PublicationAsync(connection, row.RevertPublicationId, cancellationToken);
        return new ScheduleView(
            row.Id, row.Environment, row.ReleaseId, row.RevertTo, row.State, Phase(row, activation, revert, time.GetUtcNow()), row.Occurrence,
            row.ActivateAt, row.RevertAt, row.TimeZone, ScheduleTimes.Local(row.ActivateAt, zone), row.RevertAt is { } at ? ScheduleTimes.Local(at, zone) : null,
            row.Cron is { } cron ? new RecurringView(cron, row.Duration!.Value) : null, row.LeadTime, row.PrestageAt, row.AtRisk is not null, row.AtRisk,
            row.PreviousReleaseId, row.ActivatedLateMs, activation, revert, row.Reason, row.Note, row.CreatedAt, row.CreatedBy, row.UpdatedAt,
            withEvents ? await ScheduleStore.EventsAsync(connection, row.Id, cancellationToken) : null);
    }

    /// <summary>Where the occurrence stands, finer than its state: waiting, staging, staged (not armed), armed, switching, active, ...</summary>
    internal static string Phase(ScheduleRow row, SchedulePublication? activation, SchedulePublication? revert, DateTimeOffset now)
    {
        static string Of(SchedulePublication? publication, DateTimeOffset now, string prefix) => publication?.State switch
        {
            null => prefix + "starting",
            PublicationStates.Staging => prefix + "staging",
            PublicationStates.Staged => prefix + "staged-not-armed",
            PublicationStates.Switching when publication.SwitchAt is { } at && at > now => prefix + "armed",
            PublicationStates.Switching => prefix + "switching",
            PublicationStates.Partial => prefix + "partial",
            _ => prefix + publication.State.ToLowerInvariant(),
        };

        return row.State switch
        {
            ScheduleStates.Scheduled => row.AtRisk is null ? "waiting" : "retrying",
            ScheduleStates.Activating => Of(activation, now, ""),
            ScheduleStates.Active => "active",
            ScheduleStates.Reverting => Of(revert, now, "revert-"),
            _ => row.State.ToLowerInvariant(),
        };
    }
}
