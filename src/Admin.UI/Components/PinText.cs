using ControlPlane.Client;

namespace Admin.UI.Components;

/// <summary>How the UI explains that a pin blocks a publish or rollback.</summary>
public static class PinText
{
    public static string Describe(PinInfo pin) =>
        $"{(pin.Group is null ? "the environment" : $"group {pin.Group}")} pinned by {pin.CreatedBy} ({Fmt.Time(pin.CreatedAt)}): “{pin.Reason}”";

    public static string Blocked(IReadOnlyList<PinInfo> pins) =>
        $"Blocked by a pin: {string.Join("; ", pins.Select(Describe))}. Nothing goes live until an admin unpins it on the environment page.";
}
