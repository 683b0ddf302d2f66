using System.Globalization;

namespace Admin.UI.Components;

/// <summary>
/// The time zone the user reads times in: the browser's (wwwroot/live.js keeps it in the "tz" cookie, since a page
/// rendered on the server cannot ask the browser), else UTC. Times are shown in that zone and in UTC side by side.
/// </summary>
public sealed record UserClock(TimeZoneInfo Zone, bool FromBrowser)
{
    public const string Cookie = "tz";

    public static UserClock From(HttpContext context) =>
        context.Request.Cookies.TryGetValue(Cookie, out var id) && Find(Uri.UnescapeDataString(id ?? "")) is { } zone ? new UserClock(zone, true) : new UserClock(TimeZoneInfo.Utc, false);

    public static TimeZoneInfo? Find(string? id)
    {
        if (string.IsNullOrWhiteSpace(id))
        {
            return null;
        }

        try
        {
            return TimeZoneInfo.FindSystemTimeZoneById(id.Trim());
        }
        catch (Exception exception) when (exception is TimeZoneNotFoundException or InvalidTimeZoneException)
        {
            return null;
        }
    }

    public bool IsUtc => Zone == TimeZoneInfo.Utc || Zone.Id is "UTC" or "Etc/UTC";

    /// <summary>The IANA name of the zone ("UTC" for UTC).</summary>
    public string Name => IsUtc ? "UTC" : Zone.Id;

    /// <summary>"2026-11-11 00:00 +08:00" in the user's zone.</summary>
    public string Local(DateTimeOffset at) =>
        TimeZoneInfo.ConvertTime(at, Zone).ToString("yyyy-MM-dd HH:mm:ss 'UTC'zzz", CultureInfo.InvariantCulture);

    /// <summary>The value of an &lt;input type="datetime-local"&gt; showing <paramref name="at"/> in the user's zone.</summary>
    public string InputValue(DateTimeOffset at) =>
        TimeZoneInfo.ConvertTime(at, Zone).ToString("yyyy-MM-dd'T'HH:mm", CultureInfo.InvariantCulture);

    /// <summary>"in 3h 20m" or "5m ago".</summary>
    public static string Relative(DateTimeOffset at, DateTimeOffset now)
    {
        var span = at - now;
        var future = span >= TimeSpan.Zero;
        span = span.Duration();
        var text = span.TotalSeconds < 60 ? $"{span.TotalSeconds:0}s"
            : span.TotalMinutes < 60 ? $"{(int)span.TotalMinutes}m"
            : span.TotalHours < 48 ? $"{(int)span.TotalHours}h {span.Minutes}m"
            : $"{(int)span.TotalDays}d {span.Hours}h";
        return future ? "in " + text : text + " ago";
    }
}
