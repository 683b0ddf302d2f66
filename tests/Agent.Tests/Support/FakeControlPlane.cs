using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Agent.Tests.Support;

/// <summary>
/// A stand-in for the control plane behind Kestrel on a loopback port, answering with what the test's handler
/// writes. It stands for a network boundary; the agent's own code is what is under test.
/// </summary>
public sealed class FakeControlPlane : IAsyncDisposable
{
    private readonly WebApplication _app;

    private FakeControlPlane(WebApplication app, Uri address)
    {
        _app = app;
        Address = address;
    }

    public Uri Address { get; }

    /// <summary>Each request's method, path and query, and its Authorization header.</summary>
    public ConcurrentQueue<(string Request, string? Authorization)> Requests { get; } = new();

    public static async Task<FakeControlPlane> StartAsync(Func<HttpContext, Task> handler)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseKestrel().UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        FakeControlPlane? fake = null;
        app.Run(context =>
        {
            fake!.Requests.Enqueue(($"{context.Request.Method} {context.Request.Path}{context.Request.QueryString}", context.Request.Headers.Authorization.FirstOrDefault()));
            return handler(context);
        });
        await app.StartAsync();
        fake = new FakeControlPlane(app, new Uri(app.Urls.First()));
        return fake;
    }

    public HttpClient Client(string? token = null) => Agent.ControlPlaneApi.ControlPlaneClient.Configure(new HttpClient(), Address.ToString(), token);

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
