namespace ControlPlane.Client;

// The JSON of the releases, publications and environments API (src/ControlPlane/Releases, Environments).

/// <summary>An immutable manifest {dataset -> version} for one environment.</summary>
public sealed record ReleaseInfo(long Id, string Environment, IReadOnlyDictionary<string, int> Versions, string? Note, DateTimeOffset CreatedAt, string CreatedBy);

public sealed record CreateReleaseRequest(string Environment, IReadOnlyDictionary<string, int> Versions, string? Note = null);

/// <summary>A release with the state of its latest publication (<see cref="PublicationStates.Pending"/> when never published).</summary>
public sealed record ReleaseView(ReleaseInfo Release, string State, PublicationInfo? Publication);

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
}

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

    public static bool IsInFlight(string state) => state is Staging or Staged or Switching;
}

/// <summary>Phases of one agent within a publication.</summary>
public static class AgentPhases
{
    public const string Waiting = "Waiting";
    public const string Staging = "Staging";
    public const string Staged = "Staged";
    public const string Switched = "Switched";
}
