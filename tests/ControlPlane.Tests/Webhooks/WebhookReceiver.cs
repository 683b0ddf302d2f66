using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace ControlPlane.Tests.Webhooks;

public sealed record ReceivedWebhook(IReadOnlyDictionary<string, string> Headers, byte[] Body, DateTimeOffset ReceivedAt);

/// <summary>
/// A real HTTP receiver on a loopback port (Kestrel), answering each request as the test says: a status code, or
/// null to hang until the caller gives up.
/// </summary>
public sealed class WebhookReceiver : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly CancellationTokenSource _stopping = new();
    private int _open;

    private WebhookReceiver(WebApplication app) => _app = app;

    public ConcurrentQueue<ReceivedWebhook> Received { get; } = new();

    /// <summary>Requests being held open right now (a hanging receiver).</summary>
    public int Open => Volatile.Read(ref _open);

    public string Url { get; private set; } = "";

    /// <param name="answer">The status for the n-th request (0-based), or null to hang.</param>
    public static async Task<WebhookReceiver> StartAsync(Func<int, int?> answer)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var receiver = new WebhookReceiver(app);
        var count = -1;
        app.MapPost("/hook", async (HttpContext context) =>
        {
            using var body = new MemoryStream();
            await context.Request.Body.CopyToAsync(body);
            var headers = context.Request.Headers.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase);
            receiver.Received.Enqueue(new ReceivedWebhook(headers, body.ToArray(), DateTimeOffset.UtcNow));
            if (answer(Interlocked.Increment(ref count)) is { } status)
            {
                return Results.StatusCode(status);
            }

            Interlocked.Increment(ref receiver._open);
            try
            {
                using var gone = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, receiver._stopping.Token);
                await Task.Delay(Timeout.Infinite, gone.Token).ContinueWith(_ => { }, TaskScheduler.Default);
            }
            finally
            {
                Interlocked.Decrement(ref receiver._open);
            }

            return Results.StatusCode(200);
        });
        await app.StartAsync();
        receiver.Url = app.Urls.Single() + "/hook";
        return receiver;
    }

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync();
        await _app.StopAsync();
        await _app.DisposeAsync();
        _stopping.Dispose();
    }
}
