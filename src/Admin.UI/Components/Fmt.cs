using System.Globalization;
using System.Text.Json;

namespace Admin.UI.Components;

/// <summary>How the UI writes times, durations, counts and hashes.</summary>
public static class Fmt
{
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    public static string Time(DateTimeOffset? at) =>
        at is null ? "—" : at.Value.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture) + " UTC";

    public static string Ago(DateTimeOffset? at, DateTimeOffset now)
    {
        if (at is null)
        {
            return "—";
        }

        var seconds = Math.Max(0, (now - at.Value).TotalSeconds);
        return seconds switch
        {
            < 60 => $"{seconds:0}s ago",
            < 3600 => $"{seconds / 60:0}m ago",
            < 86400 => $"{seconds / 3600:0.#}h ago",
            _ => $"{seconds / 86400:0.#}d ago",
        };
    }

    public static string Seconds(double? seconds) => seconds switch
    {
        null => "—",
        < 1 => $"{seconds * 1000:0} ms",
        < 120 => $"{seconds:0.0} s",
        _ => $"{seconds / 60:0.0} min",
    };

    public static string Count(long value) => value.ToString("N0", CultureInfo.InvariantCulture);

    public static string ShortHash(string? hash) => hash is null ? "—" : hash.Length <= 12 ? hash : hash[..12] + "…";

    public static string Json(JsonElement? element) => element is { } value ? JsonSerializer.Serialize(value, Indented) : "";

    public static string Versions(IReadOnlyDictionary<string, int> versions) =>
        string.Join(", ", versions.OrderBy(v => v.Key, StringComparer.Ordinal).Select(v => $"{v.Key} v{v.Value}"));

    public static string StateClass(string state) => "state state-" + state.ToLowerInvariant();
}
