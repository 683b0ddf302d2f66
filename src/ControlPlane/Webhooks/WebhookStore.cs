using ControlPlane.Audit;
using ControlPlane.Infrastructure;
using Npgsql;

namespace ControlPlane.Webhooks;

/// <summary>Subscriptions and their delivery log.</summary>
public sealed class WebhookStore(NpgsqlDataSource dataSource, AuditLog audit)
{
    public async Task<WebhookView> CreateAsync(string environment, string url, string secret, IReadOnlyList<string> events, string actor,
        DateTimeOffset now, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var id = await connection.ScalarAsync<long>(
            """
            INSERT INTO webhooks (environment, url, secret, events, created_at, created_by)
            VALUES (@env, @url, @secret, @events, @now, @actor) RETURNING id
            """, cancellationToken,
            ("env", environment), ("url", url), ("secret", secret), ("events", events.ToArray()), ("now", now), ("actor", actor));
        var created = new WebhookView(id, environment, url, events, now, actor);
        await audit.AppendAsync(connection, transaction, new AuditEntry(actor, "webhook.create", environment, $"webhook:{id}", After: created), cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return created;
    }

    public async Task<IReadOnlyList<WebhookView>> ListAsync(string environment, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var command = connection.Command(
            "SELECT id, environment, url, events, created_at, created_by FROM webhooks WHERE environment = @env ORDER BY id", ("env", environment));
        return await ReadAsync(command, cancellationToken);
    }

    public async Task<WebhookView?> GetAsync(string environment, long id, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var command = connection.Command(
            "SELECT id, environment, url, events, created_at, created_by FROM webhooks WHERE environment = @env AND id = @id", ("env", environment), ("id", id));
        return (await ReadAsync(command, cancellationToken)).SingleOrDefault();
    }

    /// <summary>Removes the subscription with its delivery log; pending deliveries are not attempted again.</summary>
    public async Task<bool> DeleteAsync(string environment, long id, string actor, CancellationToken cancellationToken)
    {
        var before = await GetAsync(environment, id, cancellationToken);
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        if (before is null || await connection.ExecuteAsync("DELETE FROM webhooks WHERE environment = @env AND id = @id", cancellationToken, ("env", environment), ("id", id)) == 0)
        {
            return false;
        }

        await audit.AppendAsync(connection, transaction, new AuditEntry(actor, "webhook.delete", environment, $"webhook:{id}", Before: before), cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return true;
    }

    /// <summary>Deliveries of a subscription, newest first, each with its attempts; keyset paging with <paramref name="before"/>.</summary>
    public async Task<IReadOnlyList<WebhookDeliveryView>> DeliveriesAsync(long webhookId, long? before, int limit, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var deliveries = new List<WebhookDeliveryView>();
        await using (var command = connection.Command(
            """
            SELECT d.id, d.event_id, e.kind, e.release_id, d.state, d.attempts, d.created_at, d.next_attempt_at, d.ended_at, d.last_status, d.last_error
            FROM webhook_deliveries d JOIN release_events e ON e.id = d.event_id
            WHERE d.webhook_id = @webhook AND (@before::bigint IS NULL OR d.id < @before)
            ORDER BY d.id DESC LIMIT @limit
            """, ("webhook", webhookId), ("before", before), ("limit", limit)))
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                var state = reader.GetString(4);
                deliveries.Add(new WebhookDeliveryView(
                    reader.GetInt64(0), reader.GetInt64(1), reader.GetString(2), reader.GetNullable<long>(3), state, reader.GetInt32(5),
                    reader.GetFieldValue<DateTimeOffset>(6), state == DeliveryStates.Pending ? reader.GetFieldValue<DateTimeOffset>(7) : null,
                    reader.GetNullable<DateTimeOffset>(8), reader.GetNullable<int>(9), reader.GetNullableString(10), []));
            }
        }

        if (deliveries.Count == 0)
        {
            return deliveries;
        }

        var attempts = new Dictionary<long, List<WebhookAttemptView>>();
        await using (var command = connection.Command(
            """
            SELECT delivery_id, attempt, started_at, duration_ms, status_code, error FROM webhook_attempts
            WHERE delivery_id = ANY (@ids) ORDER BY delivery_id, attempt
            """, ("ids", deliveries.Select(d => d.Id).ToArray())))
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                var list = attempts.TryGetValue(reader.GetInt64(0), out var existing) ? existing : attempts[reader.GetInt64(0)] = [];
                list.Add(new WebhookAttemptView(reader.GetInt32(1), reader.GetFieldValue<DateTimeOffset>(2), reader.GetDouble(3),
                    reader.GetNullable<int>(4), reader.GetNullableString(5)));
            }
        }

        return [.. deliveries.Select(d => d with { AttemptLog = attempts.GetValueOrDefault(d.Id) ?? [] })];
    }

    private static async Task<IReadOnlyList<WebhookView>> ReadAsync(NpgsqlCommand command, CancellationToken cancellationToken)
    {
        var list = new List<WebhookView>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            list.Add(new WebhookView(reader.GetInt64(0), reader.GetString(1), reader.GetString(2), reader.GetFieldValue<string[]>(3),
                reader.GetFieldValue<DateTimeOffset>(4), reader.GetString(5)));
        }

        return list;
    }
}
