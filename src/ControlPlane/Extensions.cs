using System.Text.Json.Serialization;
using ControlPlane.Agents;
using ControlPlane.Audit;
using ControlPlane.Datasets;
using ControlPlane.Environments;
using ControlPlane.Governance;
using ControlPlane.Identity;
using ControlPlane.Infrastructure;
using ControlPlane.LiveChanges;
using ControlPlane.Releases;
using ControlPlane.Scheduling;
using ControlPlane.Tiers;
using ControlPlane.Waves;
using ControlPlane.Webhooks;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using Npgsql;

namespace ControlPlane;

/// <summary>Registers the control plane's features and maps its endpoints.</summary>
public static class Extensions
{
    public static IHostApplicationBuilder AddControlPlane(this IHostApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddOptions<DatabaseOptions>().BindConfiguration(DatabaseOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<ImportOptions>().BindConfiguration(ImportOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<GuardrailOptions>().BindConfiguration(GuardrailOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton(TimeProvider.System);
        services.AddSingleton(sp =>
        {
            var connectionString = sp.GetRequiredService<IOptions<DatabaseOptions>>().Value.ConnectionString;
            var dataSourceBuilder = new NpgsqlDataSourceBuilder(connectionString);
            // LLVM JIT costs hundreds of milliseconds per query on the diff and guardrail plans and buys nothing
            // for these short index-driven queries.
            dataSourceBuilder.ConnectionStringBuilder.Options = (dataSourceBuilder.ConnectionStringBuilder.Options + " -c jit=off").Trim();
            dataSourceBuilder.UseLoggerFactory(sp.GetRequiredService<ILoggerFactory>());
            return dataSourceBuilder.Build();
        });
        services.AddOptions<AgentOptions>().BindConfiguration(AgentOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<PublishOptions>().BindConfiguration(PublishOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<EnvironmentOptions>().BindConfiguration(EnvironmentOptions.SectionName)
            .Validate(o => o.Declared.All(e => Names.IsEnvironmentOrGroup(e.Key) && e.Value.All(Names.IsEnvironmentOrGroup)),
                "Environment and group names are lower-case letters, digits, '-' and '_'.")
            .ValidateOnStart();
        services.AddSingleton<MigrationRunner>();

        // Hosted services start in this order: the schema first, then what depends on it.
        services.AddHostedService<MigrateOnStartService>();
        services.AddHostedService<EnvironmentSeeder>();
        services.AddControlPlaneIdentity();
        services.AddGovernance();
        services.AddHostedService<DesiredStateListener>();
        services.AddHostedService<DeadlineSweeper>();
        builder.AddScheduling();

        services.AddSingleton<Guardrails>();
        services.AddSingleton<ImportService>();
        services.AddSingleton<VersionQueries>();
        services.AddSingleton<EnvironmentStore>();
        services.AddSingleton<AgentStore>();
        services.AddSingleton<ReleaseStore>();
        services.AddSingleton<PublicationCoordinator>();
        services.AddSingleton<DesiredStateBuilder>();
        services.AddSingleton<DesiredStateSignal>();
        services.AddTiers();
        services.AddLiveChanges();
        services.AddWebhooks();

        services.AddProblemDetails();
        services.AddExceptionHandler<ProblemExceptionHandler>();
        services.ConfigureHttpJsonOptions(json =>
            json.SerializerOptions.Converters.Add(new JsonStringEnumConverter(System.Text.Json.JsonNamingPolicy.CamelCase)));
        services.AddHealthChecks().AddCheck<PostgresHealthCheck>("postgres", HealthStatus.Unhealthy, ["ready"]);
        services.AddEndpointsApiExplorer();
        services.AddSwaggerGen(swagger =>
        {
            swagger.SwaggerDoc("v1", new() { Title = "Promotion data control plane", Version = "v1" });
            swagger.AddSecurityDefinition(BearerTokenHandler.SchemeName, new Microsoft.OpenApi.OpenApiSecurityScheme
            {
                Type = Microsoft.OpenApi.SecuritySchemeType.Http,
                Scheme = "bearer",
                Description = "An API token (POST /api/v1/tokens) or a UI login token (POST /api/v1/auth/login).",
            });
            swagger.OperationFilter<BearerSecurityOperationFilter>();
            var xml = Path.Combine(AppContext.BaseDirectory, "ControlPlane.xml");
            if (File.Exists(xml))
            {
                swagger.IncludeXmlComments(xml);
            }
        });
        return builder;
    }

    public static WebApplication MapControlPlane(this WebApplication app)
    {
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        app.UseSwagger();
        app.UseSwaggerUI();
        // After Swagger, which stays anonymous; the endpoints below each name their policy (Identity/Policies.cs).
        app.UseAuthentication();
        app.UseAuthorization();
        app.UseMiddleware<IdempotencyMiddleware>();
        app.MapHealthChecks("/health/live", new() { Predicate = _ => false }).AllowAnonymous();
        app.MapHealthChecks("/health/ready", new() { Predicate = check => check.Tags.Contains("ready") }).AllowAnonymous();
        // One group without a prefix around the whole API, so every endpoint describes its error answers (OpenAPI).
        var api = app.MapGroup("").WithProblemResponses();
        api.MapControlPlaneIdentity();
        api.MapDatasetsApi();
        api.MapEnvironmentsApi();
        api.MapAgentsApi();
        api.MapReleasesApi();
        api.MapSchedulesApi();
        api.MapGovernanceApi();
        api.MapTiersApi();
        api.MapLiveChangesApi();
        api.MapWavesApi();
        api.MapWebhooksApi();
        return app;
    }
}
