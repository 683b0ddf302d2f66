using Agent;
using Agent.ControlPlaneApi;
using Agent.Loop;
using ControlPlane.Reader;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using StackExchange.Redis;
using AgentOptions = Agent.AgentOptions;

namespace EndToEnd.Tests.Support;

/// <summary>What an agent is started with: the settings of its "Agent" configuration section.</summary>
public sealed record AgentSettings(string AgentId, string Environment, string Group, string Redis, Uri ControlPlaneUrl, int ChunkSize = 5000)
{
    /// <summary>Agent:Token, the agent's bearer token.</summary>
    public string Token { get; init; } = "";
}

/// <summary>
/// A real agent in this process: the host src/Agent/Program.cs builds, with the test's logging and with its HTTP going
/// through an <see cref="AgentTransport"/> the test controls. Stopped gracefully, or killed: nothing more reaches Redis
/// or the control plane, and nothing is shut down in order.
/// </summary>
public sealed class AgentHost : IAsyncDisposable
{
    private readonly IHost _host;
    private bool _stopped;

    private AgentHost(IHost host, AgentSettings settings, AgentTransport transport)
    {
        _host = host;
        Settings = settings;
        Transport = transport;
    }

    public AgentSettings Settings { get; }

    public AgentTransport Transport { get; }

    public static async Task<AgentHost> StartAsync(AgentSettings settings, TestLog log, Action<AgentTransport>? configureTransport = null)
    {
        var transport = new AgentTransport();
        configureTransport?.Invoke(transport);
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { Args = [], ContentRootPath = AppContext.BaseDirectory });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Agent:ControlPlaneUrl"] = settings.ControlPlaneUrl.ToString(),
            ["Agent:Environment"] = settings.Environment,
            ["Agent:Group"] = settings.Group,
            ["Agent:AgentId"] = settings.AgentId,
            ["Agent:Redis"] = settings.Redis,
            ["Agent:Token"] = settings.Token,
            ["Agent:ChunkSize"] = settings.ChunkSize.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Logging:LogLevel:Default"] = "Warning",
            ["Logging:LogLevel:Agent"] = "Information",
        });
        builder.Logging.ClearProviders();
        builder.Logging.AddProvider(log.For(settings.AgentId));

        builder.Services.AddAgent(transport);
        var host = builder.Build();
        await host.StartAsync();
        return new AgentHost(host, settings, transport);
    }

    /// <summary>A graceful stop, as on SIGTERM.</summary>
    public async Task StopAsync()
    {
        if (_stopped)
        {
            return;
        }

        _stopped = true;
        Transport.Release();
        Transport.ReleaseDesired();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await _host.StopAsync(timeout.Token);
        _host.Dispose();
        Transport.Dispose();
    }

    /// <summary>
    /// As if the process died: its connections to the control plane and to Redis drop at once (a command already on
    /// the wire may still run, as with a real crash), and nothing runs its shutdown.
    /// </summary>
    public async Task KillAsync()
    {
        if (_stopped)
        {
            return;
        }

        _stopped = true;
        Transport.Kill();
        var loop = _host.Services.GetServices<IHostedService>().OfType<AgentLoop>().Single();
        var redis = _host.Services.GetRequiredService<ConnectionMultiplexer>();
        await redis.CloseAsync(allowCommandsToComplete: false);
        redis.Dispose();

        // The loop's task lingers until it notices; with every connection gone it can change nothing, and it must end
        // before a restarted agent works on the same Redis.
        _host.Dispose();
        if (loop.ExecuteTask is { } running)
        {
            try
            {
                await running.WaitAsync(TimeSpan.FromSeconds(60));
            }
            catch (Exception exception) when (exception is not TimeoutException)
            {
                // Whatever a dying process fails with.
            }
        }

        Transport.Dispose();
    }

    public async ValueTask DisposeAsync() => await StopAsync();
}
