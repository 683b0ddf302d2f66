using System.Text.Json;
using ControlPlane.Infrastructure;
using Npgsql;
using NpgsqlTypes;

namespace ControlPlane.Audit;

/// <summary>
/// A change to append to the audit log. <paramref name="Before"/> and <paramref name="After"/> are serialised as
/// JSON (web casing); pass what a reader needs to see what changed, never secrets.
/// </summary>
public sealed record AuditEntry(
    string Actor, string Kind, string? Environment = null, string? Target = null, string? Reason = null, object? Before = null, object? After = null);

/// <summary>An entry as GET /api/v1/audit shows it.</summary>
public sealed record AuditRecord(
    long Id, DateTimeOffset At, string Actor, string Kind, string? Environment, string? Target, string? Reason,
    JsonElement? Before, JsonElement? After);

/// <summary>Kinds of audit entries written by this project; other features add their own strings (e.g. "release.promote").</summary>
public static class AuditKinds
{
    public const string Import = "dataset.import";
    public const string ReleaseCreate = "release.create";
    public const string Approve = "release.approve";
    public const string Publish = "release.publish";
    public const string EmergencyPublish = "release.publish.emergency";
    public const string Rollback = "environment.rollback";
    public const string EnvironmentCreate = "environment.create";
    public const string Pin = "environment.pin";
    public const string Unpin = "environment.unpin";
    public const string Policy = "environment.policy";
    public const string AgentRemove = "agent.remove";
    public const string TokenCreate = "token.create";
    public const string TokenRevoke = "token.revoke";
    public const string UserCreate = "user.create";
    public const string Login = "user.login";
}

/// <summary>
/// Appends to the audit table. Call it with the connection (and transaction) of the change itself, so the entry is
/// committed exactly when the change is; the table refuses UPDATE, DELETE and TRUNCATE (migration 0003).
/// </summary>
public sealed class AuditLog(NpgsqlDataSource dataSource, TimeProvider time)
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public async Task<long> AppendAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction, AuditEntry entry, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(
            """
            INSERT INTO audit (at, actor, kind, environment, target, reason, before, after)
            VALUES (@at, @actor, @kind, @env, @target, @reason, @before, @after) RETURNING id
            """, connection, transaction);
        command.Parameters.AddWithValue("at", time.GetUtcNow());
        command.Parameters.AddWithValue("actor", entry.Actor);
        command.Parameters.AddWithValue("kind", entry.Kind);
        command.Parameters.AddWithValue("env", (object?)entry.Environment ?? DBNull.Value);
        command.Parameters.AddWithValue("target", (object?)entry.Target ?? DBNull.Value);
        command.Parameters.AddWithValue("reason", (object?)entry.Reason ?? DBNull.Value);
        command.Parameters.Add(new NpgsqlParameter("before", NpgsqlDbType.Jsonb) { Value = JsonOrNull(entry.Before) });
        command.Parameters.Add(new NpgsqlParameter("after", NpgsqlDbType.Jsonb) { Value = JsonOrNull(entry.After) });
        return (long)(await command.ExecuteScalarAsync(cancellationToken))!;
    }

    /// <summary>Appends in a transaction of its own: for changes that are not a single transaction of this process.</summary>
    public async Task<long> AppendAsync(AuditEntry entry, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return await AppendAsync(connection, null, entry, cancellationToken);
    }

    public async Task<IReadOnlyList<AuditRecord>> QueryAsync(AuditQuery query, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var command = connection.Command(
            """
            SELECT id, at, actor, kind, environment, target, reason, before::text, after::text FROM audit
            WHERE (@from::timestamptz IS NULL OR at >= @from) AND (@to::timestamptz IS NULL OR at < @to)
              AND (@actor::text IS NULL OR actor = @actor) AND (@env::text IS NULL OR environment = @env)
              AND (@kind::text IS NULL OR kind = @kind OR kind LIKE @kindPrefix)
              AND (@before::bigint IS NULL OR id < @before)
            ORDER BY id DESC LIMIT @limit
            """,
            ("from", query.From), ("to", query.To), ("actor", query.Actor), ("env", query.Environment), ("kind", query.Kind),
            ("kindPrefix", query.Kind is null ? null : EscapeLike(query.Kind) + ".%"), ("before", query.Before), ("limit", query.Limit));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var entries = new List<AuditRecord>();
        while (await reader.ReadAsync(cancellationToken))
        {
            entries.Add(new AuditRecord(
                reader.GetInt64(0), reader.GetFieldValue<DateTimeOffset>(1), reader.GetString(2), reader.GetString(3), reader.GetNullableString(4),
                reader.GetNullableString(5), reader.GetNullableString(6), ParseOrNull(reader.GetNullableString(7)), ParseOrNull(reader.GetNullableString(8))));
        }

        return entries;
    }

    private static object JsonOrNull(object? value) => value is null ? DBNull.Value : JsonSerializer.Serialize(value, value.GetType(), Json);

    private static JsonElement? ParseOrNull(string? json) => json is null ? null : JsonDocument.Parse(json).RootElement.Clone();

    private static string EscapeLike(string value) => value.Replace("\\", "\\\\").Replace("%", "\\%").Replace("_", "\\_");
}

/// <summary>Filters of GET /api/v1/audit; newest first, keyset paging by <see cref="Before"/> (an entry id).</summary>
public sealed record AuditQuery(DateTimeOffset? From, DateTimeOffset? To, string? Actor, string? Environment, string? Kind, long? Before, int Limit);
