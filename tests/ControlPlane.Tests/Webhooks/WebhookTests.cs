using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using ControlPlane.Tests.Releases;
using ControlPlane.Tests.Support;
using ControlPlane.Tests.Waves;
using ControlPlane.Webhooks;
using Npgsql;

namespace ControlPlane.Tests.Webhooks;

/// <summary>Real time, quick retries and a short attempt timeout, so retries and a hanging receiver show within seconds.</summary>
public sealed class WebhookFixture : ControlPlaneFixture
{
    public static readonly KeyValuePair<string, string?>[] WebhookSettings =
    [
        new("Webhooks:Timeout", "00:00:02"),
        new("Webhooks:InitialBackoff", "00:00:00.100"),
        new("Webhooks:MaxBackoff", "00:00:00.400"),
        new("Webhooks:PollInterval", "00:00:00.050"),
        new("Webhooks:MaxAttempts", "4"),
    ];

    public override TimeProvider Time => TimeProvider.System;

    protected override IEnumerable<KeyValuePair<string, string?>> Settings => WebhookSettings;
}

/// <summary>
/// Subscriptions and deliveries against a real receiver (Kestrel on a loopback port) that checks each signature with
/// its own HMAC, independent of the server's code.
/// </summary>
public sealed class WebhookTests(WebhookFixture fixture) : IClassFixture<WebhookFixture>
{
    private HttpClient Client => fixture.Client;

    [Fact]
    public async Task A_subscription_is_listed_and_deleted_and_its_generated_secret_is_shown_only_at_creation()
    {
        var environment = await Client.NewEnvironmentAsync("east");

        var created = await Client.SubscribeAsync(environment, "https://hooks.example.com/cp?team=pricing", events: [ReleaseEventKinds.Live, ReleaseEventKinds.Failed]);

        Assert.StartsWith("whsec_", created.Secret, StringComparison.Ordinal);
        Assert.Equal([ReleaseEventKinds.Live, ReleaseEventKinds.Failed], created.Webhook.Events);
        using (var listed = await Client.GetAsync($"/api/v1/environments/{environment}/webhooks"))
        {
            var body = await listed.Content.ReadAsStringAsync();
            Assert.Equal(HttpStatusCode.OK, listed.StatusCode);
            Assert.DoesNotContain(created.Secret!, body, StringComparison.Ordinal);
            Assert.Equal(created.Webhook.Id, Assert.Single(JsonSerializer.Deserialize<List<WebhookDto>>(body, Http.Json)!).Id);
        }

        // A secret the caller chose is write-only: never echoed.
        var own = await Client.SubscribeAsync(environment, "http://127.0.0.1:9/x", secret: "correct horse battery staple");
        Assert.Null(own.Secret);
        Assert.Equal(ReleaseEventKinds.All, own.Webhook.Events);

        using (var deleted = await Client.DeleteAsync($"/api/v1/environments/{environment}/webhooks/{created.Webhook.Id}"))
        {
            Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        }

        using (var gone = await Client.GetAsync($"/api/v1/environments/{environment}/webhooks/{created.Webhook.Id}/deliveries"))
        {
            await Problem.ReadAsync(gone, HttpStatusCode.NotFound);
        }

        Assert.Equal([own.Webhook.Id], (await Client.GetOkAsync<List<WebhookDto>>($"/api/v1/environments/{environment}/webhooks")).Select(w => w.Id));
    }

    [Fact]
    public async Task Only_an_admin_subscribes_or_deletes_a_viewer_reads_the_log_and_subscriptions_are_audited_without_their_secret()
    {
        var environment = await Client.NewEnvironmentAsync("east");
        using var viewer = await fixture.ClientAsAsync("hooks-viewer-" + environment, "viewer");
        using var operatorClient = await fixture.ClientAsAsync("hooks-operator-" + environment, "operator");
        using (var refused = await operatorClient.PostWebhookAsync(environment, new { url = "https://example.com/x" }))
        {
            await Problem.ReadAsync(refused, HttpStatusCode.Forbidden);
        }

        const string secret = "do not show me anywhere please";
        var created = await Client.SubscribeAsync(environment, "https://example.com/x", secret);
        Assert.Single(await viewer.GetOkAsync<List<WebhookDto>>($"/api/v1/environments/{environment}/webhooks"));
        Assert.Empty(await viewer.DeliveriesAsync(environment, created.Webhook.Id));
        using (var refused = await viewer.DeleteAsync($"/api/v1/environments/{environment}/webhooks/{created.Webhook.Id}"))
        {
            await Problem.ReadAsync(refused, HttpStatusCode.Forbidden);
        }

        using (var deleted = await Client.DeleteAsync($"/api/v1/environments/{environment}/webhooks/{created.Webhook.Id}"))
        {
            Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        }

        using var audit = await Client.GetAsync($"/api/v1/audit?environment={environment}");
        var text = await audit.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.OK, audit.StatusCode);
        Assert.Contains("webhook.create", text, StringComparison.Ordinal);
        Assert.Contains("webhook.delete", text, StringComparison.Ordinal);
        Assert.DoesNotContain(secret, text, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("""{"events":["release.live"]}""", "url")]
    [InlineData("""{"url":"ftp://example.com/x"}""", "url")]
    [InlineData("""{"url":"relative/path"}""", "url")]
    [InlineData("""{"url":"https://user:pw@example.com/x"}""", "url")]
    [InlineData("""{"url":"https://example.com/x","events":["release.live","release.exploded"]}""", "events[1]")]
    [InlineData("""{"url":"https://example.com/x","secret":"short"}""", "secret")]
    public async Task Bad_subscriptions_are_400_naming_the_field(string body, string field)
    {
        var environment = await Client.NewEnvironmentAsync("east");

        using var response = await Client.PostAsync($"/api/v1/environments/{environment}/webhooks", new StringContent(body, Encoding.UTF8, "application/json"));

        var problem = await Problem.ReadAsync(response, HttpStatusCode.BadRequest);
        Assert.Contains(problem.Errors, e => e.Field == field);
        Assert.Empty(await Client.GetOkAsync<List<WebhookDto>>($"/api/v1/environments/{environment}/webhooks"));
    }

    [Fact]
    public async Task Release_events_are_posted_signed_with_the_secret_and_logged_per_attempt()
    {
        await using var receiver = await WebhookReceiver.StartAsync(_ => 204);
        var environment = await Client.NewEnvironmentAsync("east", "west");
        const string secret = "a secret only the receiver knows";
        var all = await Client.SubscribeAsync(environment, receiver.Url, secret);
        var liveOnly = await Client.SubscribeAsync(environment, receiver.Url + "?only=live", secret, [ReleaseEventKinds.Live]);
        var a = await TestAgent.RegisterAsync(Client, environment + "-a", environment, "east");
        var b = await TestAgent.RegisterAsync(Client, environment + "-b", environment, "west");
        var release = await Client.CreateReleaseAsync(environment, await Client.ImportCatalogueAsync());

        var live = await Client.MakeLiveAsync(release, [a, b]);

        var received = await Eventually.ReadUntilAsync(() => Task.FromResult(receiver.Received.ToList()), r => r.Count >= 3, "three deliveries arrived");
        foreach (var request in received)
        {
            // The receiver's own check: HMAC-SHA256 of the raw body with the shared secret, hex, after "sha256=".
            var expected = "sha256=" + Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), request.Body));
            Assert.Equal(expected, request.Headers["X-Signature-256"]);
            Assert.Equal("application/json; charset=utf-8", request.Headers["Content-Type"]);
            var sentAt = DateTimeOffset.FromUnixTimeSeconds(long.Parse(request.Headers["X-Webhook-Timestamp"], System.Globalization.CultureInfo.InvariantCulture));
            Assert.InRange(sentAt, DateTimeOffset.UtcNow.AddMinutes(-2), DateTimeOffset.UtcNow.AddMinutes(1));
            using var body = JsonDocument.Parse(request.Body);
            Assert.Equal(request.Headers["X-Webhook-Event-Id"], body.RootElement.GetProperty("id").GetInt64().ToString(System.Globalization.CultureInfo.InvariantCulture));
            Assert.Equal(request.Headers["X-Webhook-Event"], body.RootElement.GetProperty("kind").GetString());
            Assert.Equal(environment, body.RootElement.GetProperty("environment").GetString());
            Assert.Equal(release, body.RootElement.GetProperty("releaseId").GetInt64());
            Assert.Equal(live.Id, body.RootElement.GetProperty("data").GetProperty("publicationId").GetInt64());
        }

        var kinds = received.Select(r => r.Headers["X-Webhook-Event"]).Order().ToList();
        Assert.Equal([ReleaseEventKinds.Live, ReleaseEventKinds.Live, ReleaseEventKinds.Staged], kinds);

        var log = await Eventually.ReadUntilAsync(() => Client.DeliveriesAsync(environment, all.Webhook.Id), d => d.All(x => x.State != "Pending"), "deliveries recorded");
        Assert.Equal([ReleaseEventKinds.Live, ReleaseEventKinds.Staged], log.Select(d => d.Kind));
        Assert.All(log, d =>
        {
            Assert.Equal(("Delivered", 1, 204), (d.State, d.Attempts, d.LastStatus));
            var attempt = Assert.Single(d.AttemptLog);
            Assert.Equal((1, 204, (string?)null), (attempt.Attempt, attempt.StatusCode, attempt.Error));
            Assert.True(attempt.DurationMs > 0);
        });
        Assert.Equal([ReleaseEventKinds.Live], (await Client.DeliveriesAsync(environment, liveOnly.Webhook.Id)).Select(d => d.Kind));
    }

    [Fact]
    public async Task A_receiver_answering_500_is_retried_with_growing_waits_until_it_answers_200()
    {
        await using var receiver = await WebhookReceiver.StartAsync(n => n < 2 ? 500 : 200);
        var environment = await Client.NewEnvironmentAsync("east");
        var subscription = await Client.SubscribeAsync(environment, receiver.Url, events: [ReleaseEventKinds.Live]);
        var agent = await TestAgent.RegisterAsync(Client, environment + "-a", environment, "east");
        await Client.MakeLiveAsync(await Client.CreateReleaseAsync(environment, await Client.ImportCatalogueAsync()), [agent]);

        var delivery = (await Eventually.ReadUntilAsync(
            () => Client.DeliveriesAsync(environment, subscription.Webhook.Id), d => d.Count == 1 && d[0].State != "Pending", "the delivery ended")).Single();

        Assert.Equal(("Delivered", 3, 200), (delivery.State, delivery.Attempts, delivery.LastStatus));
        Assert.Equal([500, 500, 200], delivery.AttemptLog.Select(a => a.StatusCode));
        Assert.Contains("500", delivery.AttemptLog[0].Error, StringComparison.Ordinal);
        Assert.Null(delivery.AttemptLog[2].Error);

        // Exponential backoff: 100 ms after the first failure, 200 ms after the second.
        Assert.True(delivery.AttemptLog[1].StartedAt - delivery.AttemptLog[0].StartedAt >= TimeSpan.FromMilliseconds(100));
        Assert.True(delivery.AttemptLog[2].StartedAt - delivery.AttemptLog[1].StartedAt >= TimeSpan.FromMilliseconds(200));

        // Every attempt carried the same event id and body, so the receiver can drop duplicates.
        var bodies = receiver.Received.Select(r => (r.Headers["X-Webhook-Event-Id"], Convert.ToBase64String(r.Body))).Distinct().ToList();
        Assert.Single(bodies);
    }

    [Fact]
    public async Task A_delivery_that_keeps_failing_ends_Failed_after_the_last_attempt()
    {
        await using var receiver = await WebhookReceiver.StartAsync(_ => 503);
        var environment = await Client.NewEnvironmentAsync("east");
        var subscription = await Client.SubscribeAsync(environment, receiver.Url, events: [ReleaseEventKinds.Live]);
        var agent = await TestAgent.RegisterAsync(Client, environment + "-a", environment, "east");
        await Client.MakeLiveAsync(await Client.CreateReleaseAsync(environment, await Client.ImportCatalogueAsync()), [agent]);

        var delivery = (await Eventually.ReadUntilAsync(
            () => Client.DeliveriesAsync(environment, subscription.Webhook.Id), d => d.Count == 1 && d[0].State != "Pending", "the delivery ended")).Single();

        Assert.Equal(("Failed", 4, 503), (delivery.State, delivery.Attempts, delivery.LastStatus));
        Assert.Equal([1, 2, 3, 4], delivery.AttemptLog.Select(a => a.Attempt));
        Assert.NotNull(delivery.EndedAt);
        Assert.Null(delivery.NextAttemptAt);
        await Task.Delay(600);
        Assert.Equal(4, receiver.Received.Count);
    }

    [Fact]
    public async Task A_hanging_receiver_does_not_hold_up_the_publish_and_its_attempt_times_out()
    {
        await using var receiver = await WebhookReceiver.StartAsync(_ => null);
        var environment = await Client.NewEnvironmentAsync("east");
        var subscription = await Client.SubscribeAsync(environment, receiver.Url);
        var agent = await TestAgent.RegisterAsync(Client, environment + "-a", environment, "east");
        var release = await Client.CreateReleaseAsync(environment, await Client.ImportCatalogueAsync());
        await Client.PublishAsync(release);
        await agent.HoldAsync(release);

        // The barrier's event is being delivered to a receiver that does not answer...
        await Eventually.ReadUntilAsync(() => Task.FromResult(receiver.Open), open => open > 0, "the receiver holds a delivery open");
        var generation = (await Client.PublicationOfAsync(release)).Generation!.Value;

        // ...while the publication goes on to Live.
        await agent.SwitchAsync(release, generation);
        Assert.Equal("Live", (await Client.PublicationOfAsync(release)).State);
        Assert.True(receiver.Open > 0, "the receiver was still holding the request when the release went live");

        var log = await Eventually.ReadUntilAsync(
            () => Client.DeliveriesAsync(environment, subscription.Webhook.Id),
            d => d.Any(x => x.Kind == ReleaseEventKinds.Staged && x.AttemptLog.Count > 0), "the hanging attempt was recorded");
        var attempt = log.Single(d => d.Kind == ReleaseEventKinds.Staged).AttemptLog[0];
        Assert.Null(attempt.StatusCode);
        Assert.Contains("no answer within 2 s", attempt.Error, StringComparison.Ordinal);
        Assert.InRange(attempt.DurationMs, 1_900, 30_000);
    }

    [Fact]
    public async Task Two_control_plane_instances_deliver_each_event_once()
    {
        await using var receiver = await WebhookReceiver.StartAsync(_ => 200);
        var environment = await Client.NewEnvironmentAsync("east");
        var subscription = await Client.SubscribeAsync(environment, receiver.Url);
        var settings = new Dictionary<string, string?>(WebhookFixture.WebhookSettings)
        {
            ["Database:ConnectionString"] = fixture.Database.ConnectionString,
            ["Database:MigrateOnStart"] = "true",

            // The same bootstrap admin as the first instance: one without it would revoke that token.
            ["Identity:BootstrapAdminToken"] = ControlPlaneFixture.AdminToken,
            ["Identity:BootstrapAdminName"] = ControlPlaneFixture.AdminName,
        };
        await using var second = new ControlPlaneFactory(settings, TimeProvider.System, _ => { });
        using var secondClient = second.CreateClient();
        Assert.Equal(HttpStatusCode.OK, (await secondClient.GetAsync("/health/live")).StatusCode);

        // Events as the state machine writes them: through the outbox service, inside a transaction.
        await using (var connection = new NpgsqlConnection(fixture.Database.ConnectionString))
        {
            await connection.OpenAsync();
            await using var transaction = await connection.BeginTransactionAsync();
            for (var i = 0; i < 40; i++)
            {
                await ReleaseEvents.EnqueueAsync(connection, ReleaseEventKinds.Staged, environment, null, new { n = i }, DateTimeOffset.UtcNow, CancellationToken.None);
            }

            await transaction.CommitAsync();
        }

        var log = await Eventually.ReadUntilAsync(
            () => Client.DeliveriesAsync(environment, subscription.Webhook.Id), d => d.Count == 40 && d.All(x => x.State == "Delivered"), "every event was delivered");
        Assert.All(log, d => Assert.Equal(1, d.Attempts));
        var ids = receiver.Received.Select(r => r.Headers["X-Webhook-Event-Id"]).ToList();
        Assert.Equal(40, ids.Count);
        Assert.Equal(40, ids.Distinct().Count());
    }

    [Fact]
    public async Task An_event_is_enqueued_only_when_its_transaction_commits()
    {
        var environment = await Client.NewEnvironmentAsync("east");
        var subscription = await Client.SubscribeAsync(environment, "http://127.0.0.1:9/never");
        await using (var connection = new NpgsqlConnection(fixture.Database.ConnectionString))
        {
            await connection.OpenAsync();
            await using var transaction = await connection.BeginTransactionAsync();
            await ReleaseEvents.EnqueueAsync(connection, ReleaseEventKinds.Failed, environment, null, new { }, DateTimeOffset.UtcNow, CancellationToken.None);
            await transaction.RollbackAsync();
        }

        Assert.Empty(await Client.DeliveriesAsync(environment, subscription.Webhook.Id));
        Assert.Equal(0L, await fixture.Database.ScalarAsync<long>($"SELECT count(*) FROM release_events WHERE environment = '{environment}'"));
    }

    private static readonly string[][] EastThenWest = [["east"], ["west"]];

    [Fact]
    public async Task A_reason_carrying_a_CRLF_header_line_reaches_the_receiver_as_JSON_text_never_as_a_header()
    {
        await using var receiver = await WebhookReceiver.StartAsync(_ => 204);
        var environment = await Client.NewEnvironmentAsync("east", "west");
        await Client.SubscribeAsync(environment, receiver.Url, events: [ReleaseEventKinds.WaveAborted]);
        var east = await TestAgent.RegisterAsync(Client, environment + "-east", environment, "east");
        var west = await TestAgent.RegisterAsync(Client, environment + "-west", environment, "west");
        await Client.MakeLiveAsync(await Client.CreateReleaseAsync(environment, await Client.ImportCatalogueAsync(seed: 41)), [east, west]);
        var second = await Client.CreateReleaseAsync(environment, await Client.ImportCatalogueAsync(seed: 42));
        await Client.PublishInWavesAsync(second, new { waves = EastThenWest });
        const string reason = "checkout errors\r\nX-Injected: 1\r\n\r\n{\"kind\":\"forged\"}";

        await Client.AbortAsync(second, reason);

        var received = await Eventually.ReadUntilAsync(() => Task.FromResult(receiver.Received.ToList()), r => r.Count >= 1, "the abort event arrived");
        var delivery = Assert.Single(received);
        Assert.DoesNotContain(delivery.Headers.Keys, name => name.Equals("X-Injected", StringComparison.OrdinalIgnoreCase));
        Assert.Equal(ReleaseEventKinds.WaveAborted, delivery.Headers["X-Webhook-Event"]);
        using var body = JsonDocument.Parse(delivery.Body);
        Assert.Equal(ReleaseEventKinds.WaveAborted, body.RootElement.GetProperty("kind").GetString());
        Assert.Contains(reason, body.RootElement.GetProperty("data").GetProperty("reason").GetString(), StringComparison.Ordinal);
    }
}
