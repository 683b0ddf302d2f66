using Admin.UI.Security;
using ControlPlane.Client;
using Microsoft.Extensions.Options;

namespace Admin.UI.Api;

/// <summary>
/// The UI's way to the control plane: the typed client of src/Client over the public HTTP API, as CI uses it, made per
/// request with the signed-in user's own bearer token, so the control plane decides what that user may do (the UI
/// holds no token of its own).
/// </summary>
public static class ClientRegistration
{
    private const string HttpClientName = "control-plane";

    public static IServiceCollection AddControlPlaneClient(this IServiceCollection services)
    {
        // Settings are read when a client is made, not at registration: hosts (and tests) may add configuration later.
        services.AddHttpClient(HttpClientName, (provider, client) =>
        {
            var url = provider.GetRequiredService<IOptions<ControlPlaneOptions>>().Value.Url;
            client.BaseAddress = new Uri(url.EndsWith('/') ? url : url + "/");
            client.Timeout = TimeSpan.FromSeconds(30);
        });
        services.AddScoped(provider =>
        {
            var session = provider.GetRequiredService<IHttpContextAccessor>().HttpContext?.User is { } user ? UserSession.From(user) : null;
            return new ControlPlaneClient(
                provider.GetRequiredService<IHttpClientFactory>().CreateClient(HttpClientName),
                new ControlPlaneClientOptions { Token = session?.Token });
        });
        return services;
    }
}
