using System.Globalization;
using ControlPlane.Identity;
using ControlPlane.Infrastructure;
using Microsoft.AspNetCore.Http.HttpResults;

namespace ControlPlane.Audit;

/// <summary>One page of audit entries, newest first; <c>nextBefore</c> asks for the next (older) page.</summary>
public sealed record AuditPage(IReadOnlyList<AuditRecord> Items, long? NextBefore);

public static class AuditApi
{
    public const int MaxPageSize = 500;

    /// <summary>Read-only on purpose: no endpoint changes or deletes an entry.</summary>
    public static RouteGroupBuilder MapAuditApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/v1/audit").WithTags("Audit").RequireAuthorization(Policies.Viewer);
        group.MapGet("/", List)
            .WithSummary("Audit entries, newest first, filtered by time (from inclusive, to exclusive), actor, environment and kind (exact, or a prefix such as 'release').");
        return group;
    }

    private static async Task<Results<Ok<AuditPage>, ProblemHttpResult>> List(
        string? from, string? to, string? actor, string? environment, string? kind, long? before, int? limit, AuditLog audit,
        CancellationToken cancellationToken)
    {
        if (limit is < 1 or > MaxPageSize)
        {
            return Problems.BadParameter("limit", $"limit must be between 1 and {MaxPageSize}.");
        }

        DateTimeOffset? fromTime = null, toTime = null;
        if (from is not null)
        {
            if (!TryParseTime(from, out var value))
            {
                return Problems.BadParameter("from", "from must be an ISO 8601 time such as 2026-11-11T00:00:00Z.");
            }

            fromTime = value;
        }

        if (to is not null)
        {
            if (!TryParseTime(to, out var value))
            {
                return Problems.BadParameter("to", "to must be an ISO 8601 time such as 2026-11-11T00:00:00Z.");
            }

            toTime = value;
        }

        // A filter with a control character can match no entry, and PostgreSQL refuses NUL in text: say so.
        foreach (var (name, value) in new[] { ("actor", actor), ("environment", environment), ("kind", kind) })
        {
            if (value is not null && value.Any(char.IsControl))
            {
                return Problems.BadParameter(name, $"{name} holds a control character; no audit entry has one.");
            }
        }

        var size = limit ?? 100;
        var items = await audit.QueryAsync(new AuditQuery(fromTime, toTime, actor, environment, kind, before, size), cancellationToken);
        return TypedResults.Ok(new AuditPage(items, items.Count == size ? items[^1].Id : null));
    }

    private static bool TryParseTime(string text, out DateTimeOffset value) =>
        DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out value);
}
