namespace ControlPlane.Webhooks;

public static class WebhookExtensions
{
    /// <summary>Subscriptions, the outbox dispatcher and its HTTP client (no redirects, bounded by Webhooks:Timeout per attempt).</summary>
    public static IServiceCollection AddWebhooks(this IServiceCollection services)
    {
        services.AddOptions<WebhookOptions>().BindConfiguration(WebhookOptions.SectionName).ValidateDataAnnotations()
            .Validate(o => o.MaxBackoff >= o.InitialBackoff, "Webhooks:MaxBackoff must not be shorter than Webhooks:InitialBackoff.")
            .ValidateOnStart();
        services.AddSingleton<WebhookStore>();
        services.AddHostedService<WebhookDispatcher>();
        services.AddHttpClient(WebhookDispatcher.HttpClientName, client => client.Timeout = Timeout.InfiniteTimeSpan)
            // The default handlers log every request's URL, which may carry a receiver's token.
            .RemoveAllLoggers()
            .ConfigurePrimaryHttpMessageHandler(() => new SocketsHttpHandler
            {
                AllowAutoRedirect = false,
                ConnectTimeout = TimeSpan.FromSeconds(10),
                PooledConnectionLifetime = TimeSpan.FromMinutes(5),
            });
        return services;
    }
}
