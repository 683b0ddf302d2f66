using EndToEnd.Tests.Support;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace AdminUi.Tests.Support;

/// <summary>The real admin UI behind Kestrel on a loopback port, talking to a control plane over HTTP.</summary>
public sealed class AdminUiServer : IAsyncDisposable
{
    private readonly Factory _factory;

    private AdminUiServer(Factory factory, Uri address)
    {
        _factory = factory;
        Address = address;
    }

    public Uri Address { get; }

    public static AdminUiServer Start(Uri controlPlane, TestLog log)
    {
        var factory = new Factory(controlPlane, log);
        factory.UseKestrel(0);
        factory.StartServer();
        var address = factory.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.First();
        return new AdminUiServer(factory, new Uri(address.Replace("localhost", "127.0.0.1", StringComparison.Ordinal)));
    }

    public ValueTask DisposeAsync() => _factory.DisposeAsync();

    // Any public type of the UI's assembly names its entry point; Program is ambiguous beside the control plane's.
    private sealed class Factory(Uri controlPlane, TestLog log) : WebApplicationFactory<Admin.UI.AdminUiOptions>
    {
        protected override void ConfigureWebHost(IWebHostBuilder builder)
        {
            builder.UseEnvironment("Development");
            builder.ConfigureAppConfiguration((_, configuration) => configuration.AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["ControlPlane:Url"] = controlPlane.ToString(),
                ["AdminUi:LiveRefreshMilliseconds"] = "500",
                ["Logging:LogLevel:Default"] = "Warning",
            }));
            builder.ConfigureLogging(logging =>
            {
                logging.ClearProviders();
                logging.AddProvider(log.For("admin-ui"));
            });
        }
    }
}
