using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using ControlPlane.Infrastructure;
using Microsoft.Extensions.Options;
using Npgsql;

namespace ControlPlane.Webhooks;

/// <summary>
/// Delivers the outbox. Every instance may run it (I7): due deliveries are claimed with <c>FOR UPDATE SKIP LOCKED</c>
/// and a lease (so no transaction stays open during an HTTP call, and a crashed instance's claims run out), each
/// attempt is bounded by <see cref="WebhookOptions.Timeout"/>, and several run at once. Nothing on the release path
/// waits for it: the coordinator only writes outbox rows.
/// </summary>
public sealed partial class WebhookDispatcher(
    NpgsqlDataSource dataSource,
    IHttpClientFactory httpClients,
    IOptions<WebhookOptions> options,
    TimeProvider time,
    ILogger<WebhookDispatcher> logger) : BackgroundService
{
    public const string HttpClientName = "webhooks";

    // Claims outlive an attempt's timeout by this much before another instance may take the delivery over.
    private static readonly TimeSpan LeaseMargin = TimeSpan.FromSeconds(30);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var settings = options.Value;
        using var slots = new SemaphoreSlim(settings.MaxConcurrentDeliveries);
        var running = new List<Task>();
        using var timer = new PeriodicTimer(settings.PollInterval, time);
        try
        {
            do
            {
                running.RemoveAll(t => t.IsCompleted);
                var free = slots.CurrentCount;
                if (free == 0)
                {
                    continue;
                }

                IReadOnlyList<ClaimedDelivery> claimed;
                try
                {
                    claimed = await ClaimAsync(free, stoppingToken);
                }
                catch (Exception exception) when (exception is NpgsqlException or TimeoutException)
                {
                    LogClaimFailed(exception);
                    continue;
                }

                foreach (var delivery in claimed)
                {
                    await slots.WaitAsync(stoppingToken);
                    running.Add(RunAsync(delivery, slots, stoppingToken));
                }
            }
            while (await timer.WaitForNextTickAsync(stoppingToken));
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }

        // Attempts cut short by the stop are not recorded: their lease runs out and they are attempted again.
        await Task.WhenAll(running);
    }

    private async Task RunAsync(ClaimedDelivery delivery, SemaphoreSlim slots, CancellationToken stoppingToken)
    {
        try
        {
            await DeliverAsync(delivery, stoppingToken);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        catch (Exception exception) when (exception is NpgsqlException or TimeoutException)
        {
            LogRecordFailed(exception, delivery.Id);
        }
        finally
        {
            slots.Release();
        }
    }

    /// <summary>Claims up to <paramref name="limit"/> due deliveries (counting the attempt) and reads what to send.</summary>
    internal async Task<IReadOnlyList<ClaimedDelivery>> ClaimAsync(int limit, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var claimed = new List<ClaimedDelivery>();
        await using var command = connection.Command(
            """
            WITH due AS (
                SELECT id FROM webhook_deliveries
                WHERE state = 'Pending' AND next_attempt_at <= @now AND (leased_until IS NULL OR leased_until < @now)
                ORDER BY next_attempt_at, id LIMIT @limit FOR UPDATE SKIP LOCKED
            ), claimed AS (
                UPDATE webhook_deliveries d SET attempts = d.attempts + 1, leased_until = @lease
                FROM due WHERE d.id = due.id
                RETURNING d.id, d.attempts, d.webhook_id, d.event_id
            )
            SELECT c.id, c.attempts, w.url, w.secret, e.id, e.kind, e.environment, e.release_id, e.payload::text, e.occurred_at
            FROM claimed c JOIN webhooks w ON w.id = c.webhook_id JOIN release_events e ON e.id = c.event_id
            """, ("now", now), ("limit", limit), ("lease", now + options.Value.Timeout + LeaseMargin));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            claimed.Add(new ClaimedDelivery(
                reader.GetInt64(0), reader.GetInt32(1), reader.GetString(2), reader.GetString(3), reader.GetInt64(4), reader.GetString(5),
                BodyOf(reader.GetInt64(4), reader.GetString(5), reader.GetString(6), reader.GetNullable<long>(7), reader.GetString(8),
                    reader.GetFieldValue<DateTimeOffset>(9))));
        }

        return claimed;
    }

    /// <summary>Sends one attempt and records it; a 2xx answer delivers, anything else retries with backoff.</summary>
    internal async Task DeliverAsync(ClaimedDelivery delivery, CancellationToken stoppingToken)
    {
        var settings = options.Value;
        var startedAt = time.GetUtcNow();
        var stopwatch = Stopwatch.StartNew();
        int? status = null;
        string? error = null;
        using (var timeout = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken))
        {
            timeout.CancelAfter(settings.Timeout);
            try
            {
                using var request = new HttpRequestMessage(HttpMethod.Post, delivery.Url);
                request.Content = new ByteArrayContent(delivery.Body);
                request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json") { CharSet = "utf-8" };
                request.Headers.Add(WebhookSignature.SignatureHeader, WebhookSignature.Sign(delivery.Secret, delivery.Body));
                request.Headers.Add(WebhookSignature.TimestampHeader, startedAt.ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture));
                request.Headers.Add(WebhookSignature.EventIdHeader, delivery.EventId.ToString(System.Globalization.CultureInfo.InvariantCulture));
                request.Headers.Add(WebhookSignature.EventKindHeader, delivery.Kind);
                request.Headers.Add(WebhookSignature.DeliveryIdHeader, delivery.Id.ToString(System.Globalization.CultureInfo.InvariantCulture));
                using var response = await httpClients.CreateClient(HttpClientName)
                    .SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token);
                status = (int)response.StatusCode;
                if (!response.IsSuccessStatusCode)
                {
                    error = $"answered {status} {response.ReasonPhrase}";
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                throw;
            }
            catch (OperationCanceledException)
            {
                error = $"no answer within {settings.Timeout.TotalSeconds:0.###} s";
            }
            catch (HttpRequestException exception)
            {
                error = exception.HttpRequestError is HttpRequestError.Unknown ? exception.Message : $"{exception.HttpRequestError}: {exception.Message}";
            }
        }

        var duration = stopwatch.Elapsed.TotalMilliseconds;
        var delivered = error is null;
        var now = time.GetUtcNow();
        var exhausted = !delivered && delivery.Attempt >= settings.MaxAttempts;
        await using var connection = await dataSource.OpenConnectionAsync(CancellationToken.None);
        await using var transaction = await connection.BeginTransactionAsync(CancellationToken.None);
        await connection.ExecuteAsync(
            """
            INSERT INTO webhook_attempts (delivery_id, attempt, started_at, duration_ms, status_code, error)
            SELECT @id, @attempt, @started, @duration, @status, @error WHERE EXISTS (SELECT 1 FROM webhook_deliveries WHERE id = @id)
            ON CONFLICT DO NOTHING
            """, CancellationToken.None, ("id", delivery.Id), ("attempt", delivery.Attempt), ("started", startedAt), ("duration", duration),
            ("status", status), ("error", error));
        await connection.ExecuteAsync(
            """
            UPDATE webhook_deliveries SET state = @state, leased_until = NULL, last_status = @status, last_error = @error,
                next_attempt_at = @next, ended_at = CASE WHEN @state = 'Pending' THEN NULL ELSE @now END
            WHERE id = @id
            """, CancellationToken.None,
            ("state", delivered ? DeliveryStates.Delivered : exhausted ? DeliveryStates.Failed : DeliveryStates.Pending),
            ("status", status), ("error", error), ("next", delivered || exhausted ? now : now + settings.BackoffAfter(delivery.Attempt)),
            ("now", now), ("id", delivery.Id));
        await transaction.CommitAsync(CancellationToken.None);
        if (!delivered)
        {
            LogAttemptFailed(delivery.Id, delivery.Attempt, error!, exhausted);
        }
    }

    /// <summary>The JSON body: the same bytes on every attempt, so its signature is too.</summary>
    private static byte[] BodyOf(long eventId, string kind, string environment, long? releaseId, string payload, DateTimeOffset occurredAt)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteNumber("id", eventId);
            writer.WriteString("kind", kind);
            writer.WriteString("environment", environment);
            if (releaseId is { } release)
            {
                writer.WriteNumber("releaseId", release);
            }
            else
            {
                writer.WriteNull("releaseId");
            }

            writer.WriteString("occurredAt", occurredAt);
            writer.WritePropertyName("data");
            writer.WriteRawValue(Encoding.UTF8.GetBytes(payload));
            writer.WriteEndObject();
        }

        return buffer.ToArray();
    }

    internal sealed record ClaimedDelivery(long Id, int Attempt, string Url, string Secret, long EventId, string Kind, byte[] Body);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Webhook delivery {DeliveryId} attempt {Attempt} failed: {Error} (out of attempts: {Exhausted})")]
    private partial void LogAttemptFailed(long deliveryId, int attempt, string error, bool exhausted);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Looking for due webhook deliveries failed; trying again at the next tick")]
    private partial void LogClaimFailed(Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Recording webhook delivery {DeliveryId} failed; its lease runs out and it is attempted again")]
    private partial void LogRecordFailed(Exception exception, long deliveryId);
}
