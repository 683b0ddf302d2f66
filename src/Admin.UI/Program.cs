using Admin.UI;

var builder = WebApplication.CreateBuilder(args);
// Outside Development (./run starts the built, unpublished UI) the stylesheet and script are served through the build's
// static web assets manifest; without it MapStaticAssets answers a browser's compressed request with an empty body.
// A published UI has no such manifest and this does nothing.
builder.WebHost.UseStaticWebAssets();
builder.Services.AddAdminUi(builder.Configuration);

var app = builder.Build();
app.MapAdminUi();
await app.RunAsync();
