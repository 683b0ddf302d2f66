using Agent;
using Agent.ControlPlaneApi;
using Agent.Loop;
using ControlPlane.Reader;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

// appsettings.json sits beside the binary; scripts start it from the repository root.
var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { Args = args, ContentRootPath = AppContext.BaseDirectory });
builder.Services.AddOptions<AgentOptions>().BindConfiguration(AgentOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
builder.Services.AddSingleton(TimeProvider.System);
builder.Services.AddSingleton(sp => StackExchangeRedisClient.Connect(sp.GetRequiredService<IOptions<AgentOptions>>().Value.Redis));
builder.Services.AddSingleton<IRedisClient>(sp => new StackExchangeRedisClient(sp.GetRequiredService<ConnectionMultiplexer>().GetDatabase()));
builder.Services.AddSingleton(sp =>
{
    var agent = sp.GetRequiredService<IOptions<AgentOptions>>().Value;
    return new ControlPlaneClient(ControlPlaneClient.Configure(new HttpClient(), agent.ControlPlaneUrl, agent.Token));
});
builder.Services.AddSingleton<AgentStatus>();
builder.Services.AddSingleton<AgentReporter>();
builder.Services.AddHostedService<AgentLoop>();
await builder.Build().RunAsync();
