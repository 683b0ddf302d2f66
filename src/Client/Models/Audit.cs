using System.Text.Json;

namespace ControlPlane.Client;

// The JSON of the audit API (src/ControlPlane/Audit).

/// <summary>Who did what, when, where and to what, with the state before and after.</summary>
public sealed record AuditRecord(
    long Id, DateTimeOffset At, string Actor, string Kind, string? Environment, string? Target, string? Reason,
    JsonElement? Before, JsonElement? After);

public sealed record AuditPage(IReadOnlyList<AuditRecord> Items, long? NextBefore);

/// <summary>Filters of the audit log: a time range (from inclusive, to exclusive), an actor, an environment, a kind or kind prefix.</summary>
public sealed record AuditFilter
{
    public DateTimeOffset? From { get; init; }

    public DateTimeOffset? To { get; init; }

    public string? Actor { get; init; }

    public string? Environment { get; init; }

    public string? Kind { get; init; }
}
