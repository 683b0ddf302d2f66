using Agent.ControlPlaneApi;
using Agent.Loop;
using ControlPlane.Reader;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Agent;

public static class Extensions
{
    /// <summary>
    /// Registers the agent: options, its Redis, its control plane client and the reconcile loop.
    /// <paramref name="transport"/> replaces the HTTP handler (tests stall or cut the agent's network with it).
    /// </summary>
    public static IServiceCollection AddAgent(this IServiceCollection services, HttpMessageHandler? transport = null)
    {
        services.AddOptions<AgentOptions>().BindConfiguration(AgentOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton(TimeProvider.System);
        services.AddSingleton(sp => StackExchangeRedisClient.Connect(sp.GetRequiredService<IOptions<AgentOptions>>().Value.Redis));
        services.AddSingleton<IRedisClient>(sp => new StackExchangeRedisClient(sp.GetRequiredService<ConnectionMultiplexer>().GetDatabase()));
        services.AddSingleton(sp =>
        {
            var agent = sp.GetRequiredService<IOptions<AgentOptions>>().Value;
            var http = transport is null ? new HttpClient() : new HttpClient(transport, disposeHandler: false);
            return new ControlPlaneClient(ControlPlaneClient.Configure(http, agent.ControlPlaneUrl, agent.Token));
        });
        services.AddSingleton<AgentStatus>();
        services.AddSingleton<AgentReporter>();
        services.AddSingleton<ArmedSwitch>();
        services.AddHostedService<AgentLoop>();
        services.AddHostedService<ChangeFeed>();
        return services;
    }
}
