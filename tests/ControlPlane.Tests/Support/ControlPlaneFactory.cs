using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace ControlPlane.Tests.Support;

/// <summary>The real application in memory, configured by the given settings and a fixed clock.</summary>
public sealed class ControlPlaneFactory(
    IReadOnlyDictionary<string, string?> settings, TimeProvider time, Action<IServiceCollection>? configureServices = null)
    : WebApplicationFactory<Program>
{
    public RequestTracker Requests { get; } = new();

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        // Quiet by default; a fixture's own settings come last and win.
        builder.ConfigureAppConfiguration((_, configuration) => configuration
            .AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["Logging:LogLevel:Default"] = "Warning",
                ["Logging:LogLevel:Microsoft.AspNetCore"] = "Warning",
            })
            .AddInMemoryCollection(settings));
        builder.ConfigureTestServices(services =>
        {
            services.AddSingleton(time);
            services.AddSingleton<IStartupFilter>(new RequestTracker.StartupFilter(Requests));
            configureServices?.Invoke(services);
        });
    }
}
