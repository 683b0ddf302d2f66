using ControlPlane.Infrastructure;
using Npgsql;

namespace ControlPlane.Scheduling;

/// <summary>A schedule row: its definition and the occurrence in progress (or next).</summary>
public sealed record ScheduleRow(
    long Id, string Environment, long ReleaseId, long? RevertTo, bool HasRevert, string TimeZone, string? Cron, TimeSpan? Duration,
    TimeSpan LeadTime, string State, int Occurrence, DateTimeOffset ActivateAt, DateTimeOffset? RevertAt, long? ActivationPublicationId,
    long? RevertPublicationId, long? PreviousReleaseId, double? ActivatedLateMs, string? AtRisk, string? Reason, string? Note,
    DateTimeOffset CreatedAt, string CreatedBy, DateTimeOffset UpdatedAt, int? PlannedOccurrence)
{
    public bool Recurring => Cron is not null;

    public DateTimeOffset PrestageAt => ActivateAt - LeadTime;

    public DateTimeOffset? RevertPrestageAt => RevertAt - LeadTime;

    /// <summary>When the trigger of <paramref name="step"/> is due in this occurrence; null when the occurrence has no such step.</summary>
    public DateTimeOffset? DueAt(ScheduleStep step) => step switch
    {
        ScheduleStep.Prestage => PrestageAt,
        ScheduleStep.Activate => ActivateAt,
        ScheduleStep.PrestageRevert => HasRevert ? RevertPrestageAt : null,
        ScheduleStep.Revert => HasRevert ? RevertAt : null,
        _ => null,
    };

    /// <summary>The span during which this occurrence holds the environment: from pre-staging to the revert (or activation).</summary>
    public (DateTimeOffset Start, DateTimeOffset End) Window => (PrestageAt, RevertAt ?? ActivateAt);
}

/// <summary>Reads and writes schedules (hand-written SQL, docs/decisions.md #8); the decisions are <see cref="ScheduleDecisions"/>'.</summary>
public sealed class ScheduleStore(NpgsqlDataSource dataSource)
{
    private const string Columns =
        """
        id, environment, release_id, revert_to_release_id, has_revert, time_zone, cron, duration_seconds, lead_seconds, state, occurrence,
        activate_at, revert_at, activation_publication_id, revert_publication_id, previous_release_id, activated_late_ms, at_risk, reason,
        note, created_at, created_by, updated_at, planned_occurrence
        """;

    public NpgsqlDataSource DataSource => dataSource;

    public static async Task<long> InsertAsync(NpgsqlConnection connection, ScheduleRow row, CancellationToken cancellationToken) =>
        await connection.ScalarAsync<long>(
            """
            INSERT INTO schedules (environment, release_id, revert_to_release_id, has_revert, time_zone, cron, duration_seconds, lead_seconds,
                                   state, occurrence, activate_at, revert_at, note, created_at, created_by, updated_at)
            VALUES (@env, @release, @revertTo, @hasRevert, @zone, @cron, @duration, @lead, 'Scheduled', 1, @activateAt, @revertAt, @note, @now, @actor, @now)
            RETURNING id
            """, cancellationToken,
            ("env", row.Environment), ("release", row.ReleaseId), ("revertTo", row.RevertTo), ("hasRevert", row.HasRevert), ("zone", row.TimeZone),
            ("cron", row.Cron), ("duration", (long?)row.Duration?.TotalSeconds), ("lead", (int)row.LeadTime.TotalSeconds), ("activateAt", row.ActivateAt),
            ("revertAt", row.RevertAt), ("note", row.Note), ("now", row.CreatedAt), ("actor", row.CreatedBy));

    public async Task<ScheduleRow?> GetAsync(long id, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return await GetAsync(connection, id, lockRow: false, cancellationToken);
    }

    /// <summary>
    /// Reads one schedule; <paramref name="lockRow"/> takes FOR NO KEY UPDATE, which serializes the schedule's transitions
    /// across instances yet lets a publication referencing it be inserted meanwhile.
    /// </summary>
    public static async Task<ScheduleRow?> GetAsync(NpgsqlConnection connection, long id, bool lockRow, CancellationToken cancellationToken)
    {
        await using var command = connection.Command(
            $"SELECT {Columns} FROM schedules WHERE id = @id" + (lockRow ? " FOR NO KEY UPDATE" : ""), ("id", id));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? Read(reader) : null;
    }

    public async Task<IReadOnlyList<ScheduleRow>> ListAsync(string? environment, string? state, long? before, int limit, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return await ListAsync(connection,
            $"""
            SELECT {Columns} FROM schedules
            WHERE (@env::text IS NULL OR environment = @env) AND (@state::text IS NULL OR state = @state) AND (@before::bigint IS NULL OR id < @before)
            ORDER BY id DESC LIMIT @limit
            """, cancellationToken, ("env", environment), ("state", state), ("before", before), ("limit", limit));
    }

    /// <summary>The open schedules of an environment (for conflicts), optionally locked.</summary>
    public static Task<IReadOnlyList<ScheduleRow>> OpenInAsync(NpgsqlConnection connection, string environment, CancellationToken cancellationToken) =>
        ListAsync(connection, $"SELECT {Columns} FROM schedules WHERE environment = @env AND state = ANY(@open) ORDER BY id",
            cancellationToken, ("env", environment), ("open", ScheduleStates.Open));

    /// <summary>Ids of open schedules, for the follow-up.</summary>
    public static async Task<IReadOnlyList<long>> OpenIdsAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        var ids = new List<long>();
        await using var command = connection.Command("SELECT id FROM schedules WHERE state = ANY(@open) ORDER BY id", ("open", ScheduleStates.Open));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            ids.Add(reader.GetInt64(0));
        }

        return ids;
    }

    public static Task<int> AddEventAsync(
        NpgsqlConnection connection, long id, int occurrence, DateTimeOffset at, string kind, string detail, string? instance, CancellationToken cancellationToken) =>
        connection.ExecuteAsync(
            "INSERT INTO schedule_events (schedule_id, occurrence, at, kind, detail, instance) VALUES (@id, @occurrence, @at, @kind, @detail, @instance)",
            cancellationToken, ("id", id), ("occurrence", occurrence), ("at", at), ("kind", kind), ("detail", detail), ("instance", instance));

    public static async Task<IReadOnlyList<ScheduleEvent>> EventsAsync(NpgsqlConnection connection, long id, CancellationToken cancellationToken)
    {
        var events = new List<ScheduleEvent>();
        await using var command = connection.Command(
            "SELECT occurrence, at, kind, detail, instance FROM schedule_events WHERE schedule_id = @id ORDER BY id", ("id", id));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            events.Add(new ScheduleEvent(reader.GetInt32(0), reader.GetFieldValue<DateTimeOffset>(1), reader.GetString(2), reader.GetString(3), reader.GetNullableString(4)));
        }

        return events;
    }

    public static async Task<SchedulePublication?> PublicationAsync(NpgsqlConnection connection, long? id, CancellationToken cancellationToken)
    {
        if (id is null)
        {
            return null;
        }

        await using var command = connection.Command(
            """
            SELECT p.id, p.release_id, p.state, p.switch_at, p.armed_at, p.live_at, p.reason,
                   (SELECT string_agg(pa.agent_id || ': ' || pa.error, '; ' ORDER BY pa.agent_id) FROM publication_agents pa
                    WHERE pa.publication_id = p.id AND pa.error IS NOT NULL)
            FROM publications p WHERE p.id = @id
            """, ("id", id));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken)
            ? new SchedulePublication(reader.GetInt64(0), reader.GetInt64(1), reader.GetString(2), reader.GetNullable<DateTimeOffset>(3),
                reader.GetNullable<DateTimeOffset>(4), reader.GetNullable<DateTimeOffset>(5), reader.GetNullableString(6), reader.GetNullableString(7))
            : null;
    }

    /// <summary>Writes the mutable columns of a schedule (the definition columns only change through <see cref="UpdateDefinitionAsync"/>).</summary>
    public static Task<int> SaveAsync(NpgsqlConnection connection, ScheduleRow row, DateTimeOffset now, CancellationToken cancellationToken) =>
        connection.ExecuteAsync(
            """
            UPDATE schedules SET state = @state, occurrence = @occurrence, activate_at = @activateAt, revert_at = @revertAt,
                activation_publication_id = @activation, revert_publication_id = @revert, previous_release_id = @previous,
                activated_late_ms = @late, at_risk = @atRisk, reason = @reason, updated_at = @now, planned_occurrence = @planned
            WHERE id = @id
            """, cancellationToken,
            ("state", row.State), ("occurrence", row.Occurrence), ("activateAt", row.ActivateAt), ("revertAt", row.RevertAt),
            ("activation", row.ActivationPublicationId), ("revert", row.RevertPublicationId), ("previous", row.PreviousReleaseId),
            ("late", row.ActivatedLateMs), ("atRisk", row.AtRisk), ("reason", row.Reason), ("now", now), ("planned", row.PlannedOccurrence), ("id", row.Id));

    public static Task<int> UpdateDefinitionAsync(NpgsqlConnection connection, ScheduleRow row, DateTimeOffset now, CancellationToken cancellationToken) =>
        connection.ExecuteAsync(
            """
            UPDATE schedules SET release_id = @release, revert_to_release_id = @revertTo, has_revert = @hasRevert, time_zone = @zone, cron = @cron,
                duration_seconds = @duration, lead_seconds = @lead, note = @note, updated_at = @now
            WHERE id = @id
            """, cancellationToken,
            ("release", row.ReleaseId), ("revertTo", row.RevertTo), ("hasRevert", row.HasRevert), ("zone", row.TimeZone), ("cron", row.Cron),
            ("duration", (long?)row.Duration?.TotalSeconds), ("lead", (int)row.LeadTime.TotalSeconds), ("note", row.Note), ("now", now), ("id", row.Id));

    private static async Task<IReadOnlyList<ScheduleRow>> ListAsync(
        NpgsqlConnection connection, string sql, CancellationToken cancellationToken, params (string, object?)[] parameters)
    {
        var rows = new List<ScheduleRow>();
        await using var command = connection.Command(sql, parameters);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            rows.Add(Read(reader));
        }

        return rows;
    }

    private static ScheduleRow Read(NpgsqlDataReader reader) => new(
        reader.GetInt64(0), reader.GetString(1), reader.GetInt64(2), reader.GetNullable<long>(3), reader.GetBoolean(4), reader.GetString(5),
        reader.GetNullableString(6), reader.GetNullable<long>(7) is { } seconds ? TimeSpan.FromSeconds(seconds) : null,
        TimeSpan.FromSeconds(reader.GetInt32(8)), reader.GetString(9), reader.GetInt32(10), reader.GetFieldValue<DateTimeOffset>(11),
        reader.GetNullable<DateTimeOffset>(12), reader.GetNullable<long>(13), reader.GetNullable<long>(14), reader.GetNullable<long>(15),
        reader.GetNullable<double>(16), reader.GetNullableString(17), reader.GetNullableString(18), reader.GetNullableString(19),
        reader.GetFieldValue<DateTimeOffset>(20), reader.GetString(21), reader.GetFieldValue<DateTimeOffset>(22), reader.GetNullable<int>(23));
}
