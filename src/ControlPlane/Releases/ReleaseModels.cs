namespace ControlPlane.Releases;

/// <summary>An immutable manifest {dataset -> version} for one environment.</summary>
public sealed record ReleaseInfo(long Id, string Environment, IReadOnlyDictionary<string, int> Versions, string? Note, DateTimeOffset CreatedAt, string CreatedBy);

public sealed record CreateReleaseRequest(string? Environment, Dictionary<string, int>? Versions, string? Note);

/// <summary>States of a publication, the run that makes a release live (docs/publish.md).</summary>
public static class PublicationStates
{
    public const string Staging = "Staging";
    public const string Staged = "Staged";
    public const string Switching = "Switching";
    public const string Live = "Live";
    public const string Failed = "Failed";
    public const string Aborted = "Aborted";
    public const string Superseded = "Superseded";
    public const string Partial = "Partial";

    /// <summary>A wave of a publication in waves is live; the next waits for promote or its hold time.</summary>
    public const string Holding = "Holding";

    /// <summary>The waves already live switch back to the release that was live before.</summary>
    public const string Aborting = "Aborting";

    /// <summary>A release that was never published shows this state.</summary>
    public const string Pending = "Pending";

    public static readonly string[] InFlight = [Staging, Staged, Switching, Holding, Aborting];

    public static bool IsInFlight(string state) => InFlight.Contains(state);
}

public static class AgentPhases
{
    public const string Waiting = "Waiting";
    public const string Staging = "Staging";
    public const string Staged = "Staged";
    public const string Switched = "Switched";
}

public sealed record PublicationAgent(
    string AgentId, string Group, string Phase, long RecordsStaged, long RecordsTotal, long Bytes,
    DateTimeOffset? StagedAt, DateTimeOffset? SwitchedAt, string? Error);

/// <summary>Seconds spent in each phase; null while the phase has not ended.</summary>
public sealed record PhaseTimings(double? StagingSeconds, double? SwitchingSeconds, double? TotalSeconds);

public sealed record PublicationInfo(
    long Id, long ReleaseId, string Environment, string Kind, string State, long? Generation, long? PreviousReleaseId,
    DateTimeOffset RequestedAt, string RequestedBy, DateTimeOffset? StagedAt, DateTimeOffset? LiveAt, DateTimeOffset? EndedAt,
    string? Reason, PhaseTimings Timings, IReadOnlyList<PublicationAgent> Agents)
{
    /// <summary>The waves of a publication in waves (null when every agent goes at once), with state and timings.</summary>
    public IReadOnlyList<Waves.WaveInfo>? Waves { get; init; }

    /// <summary>The wave being staged, switched or held after (0-based); null without waves.</summary>
    public int? CurrentWave { get; init; }

    public int? CanaryPercent { get; init; }

    public int? HoldSeconds { get; init; }

    /// <summary>While Holding with a hold time: when the next wave is promoted unless someone aborts.</summary>
    public DateTimeOffset? HoldUntil { get; init; }
}

/// <summary>A release with the state and progress of its latest publication.</summary>
public sealed record ReleaseView(ReleaseInfo Release, string State, PublicationInfo? Publication)
{
    /// <summary>Approvals given and needed, and the guardrail warnings to acknowledge (Governance).</summary>
    public Governance.ApprovalState? Approval { get; init; }

    /// <summary>Not live, and a publish would be refused until the approvals (and acknowledgements) are complete.</summary>
    public bool WaitingForApproval { get; init; }
}
