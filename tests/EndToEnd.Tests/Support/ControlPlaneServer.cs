using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace EndToEnd.Tests.Support;

/// <summary>
/// The real control plane behind Kestrel on a loopback port: agents reach it over real HTTP, the way they do in
/// production, long polls and dropped connections included. Restarting it keeps the port, so agents find it again.
/// </summary>
public sealed class ControlPlaneServer : IAsyncDisposable
{
    /// <summary>Identity:BootstrapAdminToken of the test deployments; <see cref="Client"/> carries it.</summary>
    public const string AdminToken = "e2e-admin-token-3f9a61c2d4";

    private readonly Factory _factory;

    private ControlPlaneServer(Factory factory, Uri address)
    {
        _factory = factory;
        Address = address;
        Client = factory.CreateClient(new WebApplicationFactoryClientOptions { BaseAddress = address, AllowAutoRedirect = false });
        Client.Timeout = TimeSpan.FromMinutes(2);
        Client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", AdminToken);
    }

    public Uri Address { get; }

    /// <summary>A client of the test's own (not an agent's), with the admin token.</summary>
    public HttpClient Client { get; }

    public IServiceProvider Services => _factory.Services;

    /// <summary>Desired-state requests (agents' long polls) the server is working on or holding now.</summary>
    public int LongPollsHeld => _factory.LongPolls.Count;

    /// <summary>Starts on <paramref name="port"/>, or on a free port when 0.</summary>
    public static Task<ControlPlaneServer> StartAsync(IReadOnlyDictionary<string, string?> settings, TestLog log, int port = 0)
    {
        var factory = new Factory(settings, log);
        factory.UseKestrel(port);
        factory.StartServer();
        var address = factory.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.First();
        return Task.FromResult(new ControlPlaneServer(factory, new Uri(address.Replace("localhost", "127.0.0.1", StringComparison.Ordinal))));
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await _factory.DisposeAsync();
    }

    private sealed class Factory(IReadOnlyDictionary<string, string?> settings, TestLog log) : WebApplicationFactory<global::ControlPlane.Program>
    {
        public LongPollCounter LongPolls { get; } = new();

        protected override void ConfigureWebHost(IWebHostBuilder builder)
        {
            builder.ConfigureServices(services => services.AddSingleton<IStartupFilter>(LongPolls));
            builder.ConfigureAppConfiguration((_, configuration) => configuration
                .AddInMemoryCollection(new Dictionary<string, string?>
                {
                    ["Logging:LogLevel:Default"] = "Warning",
                    ["Logging:LogLevel:ControlPlane"] = "Information",
                    ["Logging:LogLevel:Microsoft.AspNetCore"] = "Warning",
                })
                .AddInMemoryCollection(settings));
            builder.ConfigureLogging(logging =>
            {
                logging.ClearProviders();
                logging.AddProvider(log.For("control-plane"));
            });
        }
    }

    /// <summary>Counts the requests to GET .../desired in the pipeline.</summary>
    private sealed class LongPollCounter : IStartupFilter
    {
        private int _count;

        public int Count => Volatile.Read(ref _count);

        public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
        {
            app.Use(async (context, inner) =>
            {
                if (!context.Request.Path.Value!.EndsWith("/desired", StringComparison.Ordinal))
                {
                    await inner(context);
                    return;
                }

                Interlocked.Increment(ref _count);
                try
                {
                    await inner(context);
                }
                finally
                {
                    Interlocked.Decrement(ref _count);
                }
            });
            next(app);
        };
    }
}
