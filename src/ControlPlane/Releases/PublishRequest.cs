using ControlPlane.Waves;

namespace ControlPlane.Releases;

/// <summary>
/// The optional body of POST /api/v1/releases/{id}/publish. Without it every agent stages and switches at once.
/// <see cref="Waves"/> lists the environment's agent groups wave by wave (each exactly once); <see cref="CanaryPercent"/>
/// sends a share of the agents first, then the rest. <see cref="HoldSeconds"/>: how long a live wave holds before the
/// next is promoted automatically (absent: until POST .../promote).
/// </summary>
public sealed record PublishRequest(List<List<string?>?>? Waves, int? CanaryPercent, int? HoldSeconds)
{
    public WaveRequest? ToWaveRequest() =>
        Waves is null && CanaryPercent is null && HoldSeconds is null ? null : new WaveRequest(Waves, CanaryPercent, HoldSeconds);
}
