using ControlPlane.Contracts;

namespace Agent.ControlPlaneApi;

/// <summary>One verified chunk of a version's changes; <see cref="NextAfter"/> is null on the last chunk.</summary>
public sealed record ChangeChunk(IReadOnlyList<ChangeLine> Lines, string? NextAfter, long Bytes);
