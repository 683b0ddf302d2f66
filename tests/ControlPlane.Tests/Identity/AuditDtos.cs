using System.Text.Json;

namespace ControlPlane.Tests.Identity;

public sealed record AuditEntryDto(
    long Id, DateTimeOffset At, string Actor, string Kind, string? Environment, string? Target, string? Reason, JsonElement? Before, JsonElement? After);

public sealed record AuditPageDto(List<AuditEntryDto> Items, long? NextBefore);
