using Admin.UI;
using Admin.UI.Components;

var builder = WebApplication.CreateBuilder(args);
builder.Services.AddRazorComponents();
builder.Services.AddHttpClient<ControlPlaneClient>(client =>
    client.BaseAddress = new Uri(builder.Configuration["ControlPlane:Url"] ?? "http://127.0.0.1:5080"));

var app = builder.Build();
app.UseExceptionHandler("/Error", createScopeForErrors: true);
app.UseStatusCodePagesWithReExecute("/not-found", createScopeForStatusCodePages: true);
app.UseAntiforgery();
app.MapStaticAssets();
app.MapRazorComponents<App>();
await app.RunAsync();
