using ControlPlane;
using ControlPlane.Demo;
using ControlPlane.Infrastructure;
using Npgsql;

// `migrate` applies the SQL migrations and exits; `demo-data DATASET COUNT` writes a generated catalogue as NDJSON.
if (args is ["migrate", ..])
{
    return await Commands.MigrateAsync(args[1..]);
}

if (args is ["demo-data", var dataset, var count, ..])
{
    return DemoCatalogue.Write(dataset, int.Parse(count, System.Globalization.CultureInfo.InvariantCulture), Console.OpenStandardOutput());
}

// appsettings.json sits beside the binary; scripts start it from the repository root.
var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = args, ContentRootPath = AppContext.BaseDirectory });
builder.AddControlPlane();
var app = builder.Build();
app.MapControlPlane();
await app.RunAsync();
return 0;

namespace ControlPlane
{
    public partial class Program;

    internal static class Commands
    {
        public static async Task<int> MigrateAsync(string[] args)
        {
            var configuration = new ConfigurationBuilder()
                .AddJsonFile(Path.Combine(AppContext.BaseDirectory, "appsettings.json"), optional: true)
                .AddEnvironmentVariables()
                .AddCommandLine(args)
                .Build();
            var connectionString = configuration[$"{DatabaseOptions.SectionName}:ConnectionString"];
            if (string.IsNullOrWhiteSpace(connectionString))
            {
                await Console.Error.WriteLineAsync("Set Database__ConnectionString (or --Database:ConnectionString=...).");
                return 2;
            }

            using var loggerFactory = LoggerFactory.Create(logging => logging.AddSimpleConsole(o => o.SingleLine = true));
            await using var dataSource = NpgsqlDataSource.Create(connectionString);
            var runner = new MigrationRunner(dataSource, loggerFactory.CreateLogger<MigrationRunner>());
            try
            {
                var applied = await runner.ApplyAsync(MigrationRunner.DefaultDirectory, CancellationToken.None);
                Console.WriteLine(applied.Count == 0 ? "Database is up to date." : $"Applied {applied.Count} migration(s).");
                return 0;
            }
            catch (MigrationException exception)
            {
                await Console.Error.WriteLineAsync(exception.Message);
                return 1;
            }
        }
    }
}
