using System.Globalization;
using Quartz;

namespace ControlPlane.Scheduling;

/// <summary>Instants from what people write (with an offset, or a local time in an IANA zone), and cron occurrences.</summary>
public static class ScheduleTimes
{
    private static readonly string[] LocalFormats =
        ["yyyy-MM-dd'T'HH:mm", "yyyy-MM-dd'T'HH:mm:ss", "yyyy-MM-dd'T'HH:mm:ss.FFFFFFF", "yyyy-MM-dd HH:mm", "yyyy-MM-dd HH:mm:ss"];

    /// <summary>The zone named by an IANA id; UTC when none is given. Null when unknown.</summary>
    public static TimeZoneInfo? FindZone(string? id)
    {
        if (string.IsNullOrWhiteSpace(id) || id is "UTC" or "Etc/UTC")
        {
            return TimeZoneInfo.Utc;
        }

        try
        {
            return TimeZoneInfo.FindSystemTimeZoneById(id);
        }
        catch (Exception exception) when (exception is TimeZoneNotFoundException or InvalidTimeZoneException)
        {
            return null;
        }
    }

    /// <summary>
    /// Reads an instant: ISO 8601 with an offset or 'Z' as given, or a local date and time in <paramref name="zone"/>.
    /// A local time that does not exist there (skipped by a daylight saving change) or exists twice is refused.
    /// </summary>
    public static bool TryParse(string value, TimeZoneInfo zone, out DateTimeOffset instant, out string? error)
    {
        instant = default;
        error = null;
        var text = value.Trim();
        if (HasOffset(text))
        {
            if (DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind, out instant))
            {
                instant = instant.ToUniversalTime();
                return true;
            }

            error = $"'{value}' is not an ISO 8601 date and time, e.g. 2026-11-11T00:00:00+08:00.";
            return false;
        }

        if (!DateTime.TryParseExact(text, LocalFormats, CultureInfo.InvariantCulture, DateTimeStyles.None, out var local))
        {
            error = $"'{value}' is not an ISO 8601 date and time, e.g. 2026-11-11T00:00:00+08:00 or 2026-11-11T00:00:00 with timeZone.";
            return false;
        }

        if (zone.IsInvalidTime(local))
        {
            error = $"{local:yyyy-MM-ddTHH:mm:ss} does not exist in {zone.Id} (skipped by a daylight saving change).";
            return false;
        }

        if (zone.IsAmbiguousTime(local))
        {
            error = $"{local:yyyy-MM-ddTHH:mm:ss} occurs twice in {zone.Id} (a daylight saving change); give it with an offset.";
            return false;
        }

        // Instants are kept in UTC (PostgreSQL's timestamptz takes only that); the zone is kept beside them for display.
        instant = new DateTimeOffset(local, zone.GetUtcOffset(local)).ToUniversalTime();
        return true;
    }

    /// <summary>The instant as a local time of <paramref name="zone"/>, with its offset.</summary>
    public static string Local(DateTimeOffset instant, TimeZoneInfo zone) =>
        TimeZoneInfo.ConvertTime(instant, zone).ToString("yyyy-MM-dd'T'HH:mm:sszzz", CultureInfo.InvariantCulture);

    /// <summary>Null when the cron expression is valid; else why not.</summary>
    public static string? CronError(string cron)
    {
        try
        {
            _ = new CronExpression(cron);
            return null;
        }
        catch (FormatException exception)
        {
            return $"'{cron}' is not a Quartz cron expression (seconds minutes hours day-of-month month day-of-week [year], e.g. '0 0 20 * * ?'): {exception.Message}";
        }
    }

    /// <summary>The first firing of <paramref name="cron"/> in <paramref name="zone"/> strictly after <paramref name="after"/>.</summary>
    public static DateTimeOffset? NextFiring(string cron, TimeZoneInfo zone, DateTimeOffset after) =>
        new CronExpression(cron, zone).GetNextValidTimeAfter(after)?.ToUniversalTime();

    /// <summary>The firings of <paramref name="cron"/> from <paramref name="from"/> (inclusive) up to <paramref name="until"/>, at most <paramref name="max"/>.</summary>
    public static IEnumerable<DateTimeOffset> Firings(string cron, TimeZoneInfo zone, DateTimeOffset from, DateTimeOffset until, int max)
    {
        var expression = new CronExpression(cron, zone);
        var next = expression.GetNextValidTimeAfter(from.AddTicks(-1));
        for (var i = 0; i < max && next is { } at && at <= until; i++)
        {
            yield return at.ToUniversalTime();
            next = expression.GetNextValidTimeAfter(at);
        }
    }

    private static bool HasOffset(string text)
    {
        if (text.EndsWith('Z') || text.EndsWith('z'))
        {
            return true;
        }

        var time = text.IndexOf('T', StringComparison.OrdinalIgnoreCase);
        if (time < 0)
        {
            time = text.IndexOf(' ', StringComparison.Ordinal);
        }

        return time > 0 && text.IndexOfAny(['+', '-'], time) > 0;
    }
}
