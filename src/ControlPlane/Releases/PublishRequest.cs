using ControlPlane.Waves;

namespace ControlPlane.Releases;

/// <summary>
/// The optional body of POST /api/v1/releases/{id}/publish. <see cref="Emergency"/> publishes without the approvals
/// the environment's policy asks for; only the policy's emergency role may, and <see cref="Reason"/> is then required
/// (it goes to the audit log). <see cref="OverrideSchedule"/> confirms a publish while a schedule holds the environment
/// (also accepted as the query parameter overrideSchedule=true).
/// Without <see cref="Waves"/> or <see cref="CanaryPercent"/> every agent stages and switches at once.
/// <see cref="Waves"/> lists the environment's agent groups wave by wave (each exactly once); <see cref="CanaryPercent"/>
/// sends a share of the agents first, then the rest. <see cref="HoldSeconds"/>: how long a live wave holds before the
/// next is promoted automatically (absent: until POST .../promote).
/// </summary>
public sealed record PublishRequest(
    bool? Emergency = null, string? Reason = null, bool? OverrideSchedule = null,
    List<List<string?>?>? Waves = null, int? CanaryPercent = null, int? HoldSeconds = null)
{
    public WaveRequest? ToWaveRequest() =>
        Waves is null && CanaryPercent is null && HoldSeconds is null ? null : new WaveRequest(Waves, CanaryPercent, HoldSeconds);
}
