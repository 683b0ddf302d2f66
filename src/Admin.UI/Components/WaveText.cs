using ControlPlane.Client;

namespace Admin.UI.Components;

/// <summary>How the UI names waves.</summary>
public static class WaveText
{
    public static string Groups(WaveInfo wave) =>
        wave.Groups is { Count: > 0 } groups ? "group " + string.Join(", ", groups) : "agents " + string.Join(", ", wave.Agents);

    /// <summary>"wave 1 (group east)" for each wave given.</summary>
    public static string List(IEnumerable<WaveInfo> waves) => string.Join("; ", waves.Select(w => $"wave {w.Wave + 1} ({Groups(w)})"));
}
