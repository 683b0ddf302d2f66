using Agent;

// appsettings.json sits beside the binary; scripts start it from the repository root.
var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { Args = args, ContentRootPath = AppContext.BaseDirectory });
builder.Services.AddAgent();
await builder.Build().RunAsync();
