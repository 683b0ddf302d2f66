using System.ComponentModel.DataAnnotations;

namespace ControlPlane.Agents;

public sealed class AgentOptions
{
    public const string SectionName = "Agents";

    [Range(1, 3600)]
    public int HeartbeatSeconds { get; set; } = 5;

    /// <summary>An agent not heard from for this long is shown as stale and left out of new publications.</summary>
    [Range(1, 86_400)]
    public int StaleAfterSeconds { get; set; } = 15;

    /// <summary>Releases kept hot besides the live one, so rolling back to them is a pointer flip.</summary>
    [Range(0, 100)]
    public int HotRetention { get; set; } = 3;

    /// <summary>How long a desired-state request is held when nothing changes.</summary>
    [Range(1, 300)]
    public int LongPollSeconds { get; set; } = 30;

    /// <summary>
    /// An agent whose clock is further off the control plane's (as it measures it on its reports) is shown as skewed,
    /// and a scheduled switch is not armed on its environment: the control plane orders it at the time instead.
    /// </summary>
    [Range(1, 60_000)]
    public int MaxClockSkewMs { get; set; } = 500;
}
