using Admin.UI;

var builder = WebApplication.CreateBuilder(args);
builder.Services.AddAdminUi(builder.Configuration);

var app = builder.Build();
app.MapAdminUi();
await app.RunAsync();

/// <summary>The admin UI's entry point; public so tests can host it.</summary>
public partial class Program;
