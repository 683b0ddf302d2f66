namespace ControlPlane.Scheduling;

/// <summary>A schedule request checked and resolved to instants; or the field at fault.</summary>
public abstract record ScheduleDefinitionResult
{
    public sealed record Valid(
        long ReleaseId, string TimeZone, DateTimeOffset ActivateAt, DateTimeOffset? RevertAt, long? RevertTo, string? Cron, TimeSpan? Duration,
        TimeSpan LeadTime, string? Note) : ScheduleDefinitionResult
    {
        public bool HasRevert => RevertAt is not null;
    }

    public sealed record Invalid(string Field, string Message) : ScheduleDefinitionResult;
}

/// <summary>Reads a <see cref="ScheduleRequest"/>: the forms of time it accepts, and what makes a schedule coherent.</summary>
public static class ScheduleDefinition
{
    private static readonly TimeSpan MaxLeadTime = TimeSpan.FromDays(1);

    public static ScheduleDefinitionResult Read(ScheduleRequest request, TimeSpan defaultLeadTime, DateTimeOffset now)
    {
        if (request.Release is not { } release)
        {
            return new ScheduleDefinitionResult.Invalid("release", "release is required: the id of the release to activate.");
        }

        var lead = request.LeadTime ?? defaultLeadTime;
        if (lead < TimeSpan.Zero || lead > MaxLeadTime)
        {
            return new ScheduleDefinitionResult.Invalid("leadTime", "leadTime is between 00:00:00 and 1.00:00:00.");
        }

        if (lead.Ticks % TimeSpan.TicksPerSecond != 0)
        {
            return new ScheduleDefinitionResult.Invalid("leadTime", "leadTime is a whole number of seconds.");
        }

        if (ScheduleTimes.FindZone(request.TimeZone) is not { } zone)
        {
            return new ScheduleDefinitionResult.Invalid("timeZone", $"'{request.TimeZone}' is not a known IANA time zone, e.g. Asia/Shanghai or Europe/Berlin.");
        }

        var zoneId = string.IsNullOrWhiteSpace(request.TimeZone) ? "UTC" : request.TimeZone;
        if (request.Recurring is { } recurring)
        {
            if (request.ActivateAt is not null || request.RevertAt is not null)
            {
                return new ScheduleDefinitionResult.Invalid("recurring",
                    "A recurring window takes its times from recurring.cron and recurring.duration; leave activateAt and revertAt out.");
            }

            if (string.IsNullOrWhiteSpace(recurring.Cron))
            {
                return new ScheduleDefinitionResult.Invalid("recurring.cron", "recurring.cron is required, e.g. '0 0 20 * * ?' (every day at 20:00).");
            }

            if (ScheduleTimes.CronError(recurring.Cron) is { } cronError)
            {
                return new ScheduleDefinitionResult.Invalid("recurring.cron", cronError);
            }

            if (recurring.Duration is not { } duration || duration <= TimeSpan.Zero)
            {
                return new ScheduleDefinitionResult.Invalid("recurring.duration", "recurring.duration is required and positive, e.g. '02:00:00'.");
            }

            var firings = ScheduleTimes.Firings(recurring.Cron, zone, now, now.AddYears(10), 3).ToList();
            if (firings.Count == 0)
            {
                return new ScheduleDefinitionResult.Invalid("recurring.cron", $"'{recurring.Cron}' fires no more after {now:O}.");
            }

            for (var i = 1; i < firings.Count; i++)
            {
                if (firings[i] - lead < firings[i - 1] + duration)
                {
                    return new ScheduleDefinitionResult.Invalid("recurring.duration",
                        $"Windows of {duration} (plus the lead time {lead}) overlap: '{recurring.Cron}' fires at {ScheduleTimes.Local(firings[i - 1], zone)} and {ScheduleTimes.Local(firings[i], zone)}.");
                }
            }

            return new ScheduleDefinitionResult.Valid(release, zoneId, firings[0], firings[0] + duration, request.RevertTo, recurring.Cron.Trim(), duration, lead, request.Note);
        }

        if (string.IsNullOrWhiteSpace(request.ActivateAt))
        {
            return new ScheduleDefinitionResult.Invalid("activateAt", "activateAt (or recurring) is required, e.g. 2026-11-11T00:00:00+08:00.");
        }

        if (!ScheduleTimes.TryParse(request.ActivateAt, zone, out var activateAt, out var activateError))
        {
            return new ScheduleDefinitionResult.Invalid("activateAt", activateError!);
        }

        if (activateAt <= now)
        {
            return new ScheduleDefinitionResult.Invalid("activateAt", $"activateAt {activateAt:O} is not in the future (now is {now:O}); publish the release instead.");
        }

        DateTimeOffset? revertAt = null;
        if (request.RevertAt is not null)
        {
            if (!ScheduleTimes.TryParse(request.RevertAt, zone, out var parsed, out var revertError))
            {
                return new ScheduleDefinitionResult.Invalid("revertAt", revertError!);
            }

            if (parsed <= activateAt)
            {
                return new ScheduleDefinitionResult.Invalid("revertAt", $"revertAt {parsed:O} is not after activateAt {activateAt:O}.");
            }

            revertAt = parsed;
        }
        else if (request.RevertTo is not null)
        {
            return new ScheduleDefinitionResult.Invalid("revertTo", "revertTo names the release to go back to at revertAt; give revertAt too.");
        }

        return new ScheduleDefinitionResult.Valid(release, zoneId, activateAt, revertAt, request.RevertTo, null, null, lead, request.Note);
    }

    /// <summary>The windows [pre-staging, revert] of a schedule's occurrences from its current one, up to <paramref name="until"/>.</summary>
    public static IEnumerable<(DateTimeOffset Start, DateTimeOffset End)> Windows(
        DateTimeOffset activateAt, DateTimeOffset? revertAt, string? cron, TimeSpan? duration, TimeSpan lead, string timeZone, DateTimeOffset until)
    {
        yield return (activateAt - lead, revertAt ?? activateAt);
        if (cron is null || duration is null)
        {
            yield break;
        }

        var zone = ScheduleTimes.FindZone(timeZone) ?? TimeZoneInfo.Utc;
        foreach (var firing in ScheduleTimes.Firings(cron, zone, activateAt.AddTicks(1), until, 2000))
        {
            yield return (firing - lead, firing + duration.Value);
        }
    }
}
