using Microsoft.Extensions.Options;

namespace ControlPlane.Tiers;

public static class TierExtensions
{
    /// <summary>Policies, the cold store, the archive job and the tiers' endpoints.</summary>
    public static IServiceCollection AddTiers(this IServiceCollection services)
    {
        services.AddOptions<TierOptions>().BindConfiguration(TierOptions.SectionName).ValidateDataAnnotations()
            .Validate(o => o.ColdStore != "s3" || !string.IsNullOrEmpty(o.S3.Bucket), "Tiers:S3:Bucket is required when Tiers:ColdStore is s3.")
            .ValidateOnStart();
        services.AddSingleton<IColdStore>(sp =>
        {
            var options = sp.GetRequiredService<IOptions<TierOptions>>().Value;
            return options.ColdStore == "s3"
                ? new S3ColdStore(options.S3)
                : new FolderColdStore(string.IsNullOrEmpty(options.Folder) ? Path.Combine(Environment.CurrentDirectory, ".data", "cold") : options.Folder);
        });
        services.AddSingleton<ColdArchive>();
        services.AddSingleton<ColdReleaseCheck>();
        services.AddSingleton<TierPolicyStore>();
        services.AddSingleton<TierPlanner>();
        services.AddSingleton<TierQueries>();
        services.AddSingleton<ColdExpiry>();
        services.AddSingleton<ArchiveJob>();
        services.AddHostedService<ArchiveService>();
        return services;
    }
}
