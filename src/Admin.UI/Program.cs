using Admin.UI;

var builder = WebApplication.CreateBuilder(args);
builder.Services.AddAdminUi(builder.Configuration);

var app = builder.Build();
app.MapAdminUi();
await app.RunAsync();
