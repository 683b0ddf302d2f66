using System.Data.Common;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Npgsql;
using Quartz;

namespace ControlPlane.Scheduling;

public static class SchedulingExtensions
{
    /// <summary>
    /// Schedules: options, the engine, and Quartz with its clustered ADO job store on the control plane's PostgreSQL
    /// (tables from migrations/0006). Call after the migrations' hosted service is registered: Quartz validates its tables on start.
    /// </summary>
    public static IHostApplicationBuilder AddScheduling(this IHostApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddOptions<ScheduleOptions>().BindConfiguration(ScheduleOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<ScheduleAlerts>();
        services.AddSingleton<ScheduleEngine>();
        services.AddSingleton<ScheduleViews>();
        services.AddSingleton<ScheduleCommands>();
        services.AddHostedService<ScheduleFollowUp>();

        services.AddSingleton<IScheduleTriggers, QuartzScheduleTriggers>();

        // Quartz takes its connections from the application's one data source (UseRegisteredDataSource).
        services.TryAddSingleton<DbDataSource>(sp => sp.GetRequiredService<NpgsqlDataSource>());
        builder.AddQuartz(quartz =>
        {
            // Quartz keeps real time whatever clock the application runs on (tests inject fake ones for the decisions).
            quartz.UseTimeProvider(TimeProvider.System);
            quartz.ConfigureScheduler(scheduler =>
            {
                scheduler.InstanceName = "controlplane";
                // A trigger planned by another instance is picked up within a second, not the default 30 s.
                scheduler.IdleWaitTime = TimeSpan.FromSeconds(1);
            });
            quartz.AddJob<ScheduleStepJob>(job => job.WithIdentity(QuartzScheduleTriggers.Job).StoreDurably());
            quartz.UsePersistentStore(store =>
            {
                store.UsePostgres(source =>
                {
                    source.Provider = DataSourceOptions.Providers.Npgsql;
                    source.UseRegisteredDataSource = true;
                });
                store.UseSystemTextJsonSerializer();
                store.UseClustering(cluster => cluster.CheckinInterval = TimeSpan.FromSeconds(5));
            });
        });
        builder.AddQuartzHostedService(hosted => hosted.WaitForJobsToComplete = true);
        return builder;
    }
}
