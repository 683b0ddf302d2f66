namespace ControlPlane.LiveChanges;

public static class Extensions
{
    /// <summary>Live changes: batches, the agents' change feed and its wake-ups, folding and pruning.</summary>
    public static IServiceCollection AddLiveChanges(this IServiceCollection services)
    {
        services.AddOptions<LiveChangesOptions>().BindConfiguration(LiveChangesOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<ChangeBatchService>();
        services.AddSingleton<ChangeLogQueries>();
        services.AddSingleton<ChangeSignal>();
        services.AddHostedService<ChangeListener>();
        services.AddSingleton<ChangeFolder>();
        services.AddHostedService(sp => sp.GetRequiredService<ChangeFolder>());
        return services;
    }
}
