namespace ControlPlane.Client;

// The JSON of the releases, publications and environments API (src/ControlPlane/Releases, Environments).

/// <summary>An immutable manifest {dataset -> version} for one environment.</summary>
public sealed record ReleaseInfo(long Id, string Environment, IReadOnlyDictionary<string, int> Versions, string? Note, DateTimeOffset CreatedAt, string CreatedBy);

public sealed record CreateReleaseRequest(string Environment, IReadOnlyDictionary<string, int> Versions, string? Note = null);

/// <summary>A release with the state of its latest publication (<see cref="PublicationStates.Pending"/> when never published).</summary>
public sealed record ReleaseView(ReleaseInfo Release, string State, PublicationInfo? Publication)
{
    /// <summary>Approvals given and needed, and the guardrail warnings to acknowledge.</summary>
    public ApprovalState? Approval { get; init; }

    /// <summary>Not live, and a publish would be refused until the approvals (and acknowledgements) are complete.</summary>
    public bool WaitingForApproval { get; init; }
}

/// <summary>A run that makes a release live (kind "publish" or "rollback").</summary>
public sealed record PublicationInfo(
    long Id,
    long ReleaseId,
    string Environment,
    string Kind,
    string State,
    long? Generation,
    long? PreviousReleaseId,
    DateTimeOffset RequestedAt,
    string RequestedBy,
    DateTimeOffset? StagedAt,
    DateTimeOffset? LiveAt,
    DateTimeOffset? EndedAt,
    string? Reason,
    PhaseTimings Timings,
    IReadOnlyList<PublicationAgent> Agents)
{
    public bool IsInFlight => PublicationStates.IsInFlight(State);

    /// <summary>Of a publication in waves: each wave with its agents, state and timings; null when all agents go at once.</summary>
    public IReadOnlyList<WaveInfo>? Waves { get; init; }

    public int? CurrentWave { get; init; }

    public int? CanaryPercent { get; init; }

    public int? HoldSeconds { get; init; }

    public DateTimeOffset? HoldUntil { get; init; }
}

/// <summary>
/// The optional body of publish: groups wave by wave, or a canary share first (holdSeconds promotes automatically);
/// an emergency publish skips approvals (the policy's emergency role, with a reason).
/// </summary>
public sealed record PublishRequest(
    IReadOnlyList<IReadOnlyList<string>>? Waves = null, int? CanaryPercent = null, int? HoldSeconds = null,
    bool? Emergency = null, string? Reason = null)
{
    /// <summary>Confirms a publish while a schedule holds the environment (its occurrence is then Overridden).</summary>
    public bool? OverrideSchedule { get; init; }
}

public sealed record WaveInfo(
    int Wave, IReadOnlyList<string>? Groups, IReadOnlyList<string> Agents, string State, long? Generation,
    DateTimeOffset? StartedAt, string? StartedBy, DateTimeOffset? StagedAt, DateTimeOffset? LiveAt, DateTimeOffset? EndedAt,
    double? StagingSeconds, double? SwitchingSeconds);

public sealed record PublicationAgent(
    string AgentId, string Group, string Phase, long RecordsStaged, long RecordsTotal, long Bytes,
    DateTimeOffset? StagedAt, DateTimeOffset? SwitchedAt, string? Error);

/// <summary>Seconds spent in each phase; null while the phase has not ended.</summary>
public sealed record PhaseTimings(double? StagingSeconds, double? SwitchingSeconds, double? TotalSeconds);

/// <summary>States of a publication (docs/publish.md).</summary>
public static class PublicationStates
{
    public const string Pending = "Pending";
    public const string Staging = "Staging";
    public const string Staged = "Staged";
    public const string Switching = "Switching";
    public const string Live = "Live";
    public const string Failed = "Failed";
    public const string Aborted = "Aborted";
    public const string Superseded = "Superseded";
    public const string Partial = "Partial";

    /// <summary>A wave is live and the next waits for promote (or its hold time).</summary>
    public const string Holding = "Holding";

    /// <summary>The waves already live switch back to the release live before.</summary>
    public const string Aborting = "Aborting";

    public static bool IsInFlight(string state) => state is Staging or Staged or Switching or Holding or Aborting;
}

/// <summary>Phases of one agent within a publication.</summary>
public static class AgentPhases
{
    public const string Waiting = "Waiting";
    public const string Staging = "Staging";
    public const string Staged = "Staged";
    public const string Switched = "Switched";
}
