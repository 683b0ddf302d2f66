using System.ComponentModel.DataAnnotations;

namespace Admin.UI;

/// <summary>Settings of the admin UI (section "ControlPlane" for the API address, "AdminUi" for the rest).</summary>
public sealed record AdminUiOptions
{
    /// <summary>Milliseconds between two refreshes of a live part of a page.</summary>
    [Range(200, 60_000)]
    public int LiveRefreshMilliseconds { get; init; } = 1000;

    /// <summary>How long a login lasts in the UI before the user signs in again.</summary>
    [Range(1, 7 * 24 * 60)]
    public int SessionMinutes { get; init; } = 12 * 60;
}

/// <summary>Where the control plane's API is (section "ControlPlane").</summary>
public sealed record ControlPlaneOptions
{
    [Required]
    public string Url { get; init; } = "http://127.0.0.1:5080";
}
