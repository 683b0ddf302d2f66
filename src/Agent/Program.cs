using Agent;

// The agent's staging and switching work arrives with the agents issue; for now it only validates
// and reports the configuration it was started with, so deployments can be wired up early.
var builder = Host.CreateApplicationBuilder(args);
builder.Services.AddOptions<AgentOptions>().BindConfiguration(AgentOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
builder.Services.AddHostedService<AgentStartupReport>();
var host = builder.Build();
await host.RunAsync();
