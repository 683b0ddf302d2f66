using System.Net;
using System.Net.Http.Json;
using ControlPlane.Tests.Support;
using ControlPlane.Tiers;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Npgsql;

namespace ControlPlane.Tests.Tiers;

/// <summary>
/// The control plane with a folder cold store of its own, small chunks (so versions span several), the archive job
/// run only by the tests, a warm window of the last two versions, and a clock the tests move.
/// </summary>
public class TiersFixture : ControlPlaneFixture
{
    public ManualTimeProvider Clock { get; } = new(FixedTimeProvider.Default);

    public override TimeProvider Time => Clock;

    public string ColdFolder { get; } = Path.Combine(Path.GetTempPath(), "cp-cold-" + Guid.NewGuid().ToString("N")[..12]);

    protected override IEnumerable<KeyValuePair<string, string?>> Settings =>
    [
        new("Tiers:ArchiveEnabled", "false"),
        new("Tiers:Folder", ColdFolder),
        new("Tiers:ChunkRecords", "100"),
        new("Tiers:Defaults:WarmDays", "0"),
        new("Tiers:Defaults:WarmVersions", "2"),
        new("Tiers:RetryBase", "00:01:00"),
        new("Agents:HotRetention", "1"),
    ];

    public ArchiveJob Job => Factory.Services.GetRequiredService<ArchiveJob>();

    protected override void DeleteFiles()
    {
        if (Directory.Exists(ColdFolder))
        {
            Directory.Delete(ColdFolder, recursive: true);
        }
    }

    /// <summary>An archive job of its own over another store (faults), as another instance would run it.</summary>
    public ArchiveJob JobWith(IColdStore store)
    {
        var services = Factory.Services;
        var archive = new ColdArchive(store, services.GetRequiredService<IOptions<TierOptions>>());
        var expiry = new ColdExpiry(services.GetRequiredService<NpgsqlDataSource>(), archive, services.GetRequiredService<ControlPlane.Audit.AuditLog>(),
            services.GetRequiredService<TierPlanner>(), Clock, NullLogger<ColdExpiry>.Instance);
        return new ArchiveJob(
            services.GetRequiredService<NpgsqlDataSource>(),
            archive,
            expiry,
            services.GetRequiredService<ControlPlane.Audit.AuditLog>(),
            services.GetRequiredService<TierPlanner>(),
            services.GetRequiredService<IOptions<TierOptions>>(),
            Clock,
            NullLogger<ArchiveJob>.Instance);
    }

    /// <summary>No versions, releases, publications, policies or archives: each test starts from nothing.</summary>
    public async Task ResetTiersAsync()
    {
        await Database.ExecuteAsync(
            """
            DELETE FROM schedule_events; UPDATE schedules SET activation_publication_id = NULL, revert_publication_id = NULL;
            DELETE FROM publication_agents; DELETE FROM publications; DELETE FROM schedules; UPDATE environments SET live_release_id = NULL;
            DELETE FROM releases; DELETE FROM agents; DELETE FROM tier_policies; DELETE FROM archive_tasks; DELETE FROM version_archives;
            TRUNCATE records, dataset_versions;
            """);
        if (Directory.Exists(ColdFolder))
        {
            Directory.Delete(ColdFolder, recursive: true);
        }

        // Manifests of numbers reused by the next test must not be served from memory.
        Factory.Services.GetRequiredService<ColdArchive>().ForgetAll();
    }
}

public abstract class TiersTest<TFixture>(TFixture fixture) : IAsyncLifetime where TFixture : TiersFixture
{
    protected TFixture Fixture => fixture;

    protected HttpClient Client => fixture.Client;

    public Task InitializeAsync() => fixture.ResetTiersAsync();

    public Task DisposeAsync() => Task.CompletedTask;

    protected async Task<ArchiveRunDto> RunArchiveAsync()
    {
        using var response = await Client.PostAsync("/api/v1/tiers/archive/run", content: null);
        return await Http.ReadAsync<ArchiveRunDto>(response, HttpStatusCode.OK);
    }

    protected Task<DatasetTiersDto> TiersOfAsync(string dataset) => Client.GetOkAsync<DatasetTiersDto>($"/api/v1/tiers/{dataset}?limit=1000");

    protected async Task<string> TierOfAsync(string dataset, int version) =>
        (await Client.GetOkAsync<Datasets.VersionDto>($"/api/v1/datasets/{dataset}/versions/{version}")).Tier;

    protected Task<HttpResponseMessage> PutPolicyAsync(string environment, object policy, bool dryRun = false) =>
        Client.PutAsJsonAsync($"/api/v1/environments/{environment}/tiers/policy{(dryRun ? "?dryRun=true" : "")}", policy, Http.Json);
}

public sealed record ArchiveRunDto(int Queued, List<string> Archived, List<string> Skipped, List<string> Failed)
{
    public List<string> Expired { get; init; } = [];
}

public sealed record VersionTierDto(
    int Version, string Tier, long Records, bool InWarmWindow, bool LeavesWarm, List<string> ProtectedBecause,
    long? WarmBytesEstimate, long? ColdRawBytes, long? ColdStoredBytes, int? ColdChunks);

public sealed record ArchiveTaskDto(string Dataset, int Version, string State, string? Step, int Attempts, DateTimeOffset NextAttemptAt,
    int ChunksWritten, long RecordsWritten, long BytesWritten, string? LastError);

public sealed record DatasetTiersDto(string Dataset, List<VersionTierDto> Versions, int? NextBefore, List<ArchiveTaskDto> Tasks)
{
    public VersionTierDto Version(int version) => Versions.Single(v => v.Version == version);
}

public sealed record DatasetTierSummaryDto(string Dataset, int WarmVersions, int ColdVersions, int LeavingWarm, long WarmRows, long WarmBytes, long ColdRawBytes, long ColdStoredBytes);

public sealed record ArchiveJobDto(int Queued, int Running, int Retrying, int Done, int Skipped, List<ArchiveTaskDto> InProgress, List<ArchiveTaskDto> Failures, List<ArchiveTaskDto> Recent);

public sealed record TiersOverviewDto(string ColdStore, List<DatasetTierSummaryDto> Datasets, ArchiveJobDto ArchiveJob);

public sealed record TierPolicyDto(int HotReleases, int WarmDays, int WarmVersions, int? ColdKeepDays, Dictionary<string, DatasetTierPolicyDto> Datasets);

public sealed record DatasetTierPolicyDto(int? WarmDays, int? WarmVersions, int? ColdKeepDays);

public sealed record DatasetEffectDto(string Dataset, int WarmVersions, int ColdVersions, List<int> WarmWindow, List<int> ToArchive, List<ProtectedDto> Protected);

public sealed record ProtectedDto(int Version, List<string> Reasons);

public sealed record TierEffectDto(string Summary, List<long> HotReleases, List<long> ReleasesLeavingHot, List<long> ReleasesEnteringHot, List<DatasetEffectDto> Datasets)
{
    public DatasetEffectDto Of(string dataset) => Datasets.Single(d => d.Dataset == dataset);
}

public sealed record TierPolicyViewDto(string Environment, TierPolicyDto Policy, bool IsDefault, DateTimeOffset? UpdatedAt, string? UpdatedBy, TierEffectDto Effect);
