using System.ComponentModel.DataAnnotations;

namespace ControlPlane.Tiers;

/// <summary>Configuration of the tiers (section <c>Tiers</c>): default policy, the cold store and the archive job.</summary>
public sealed class TierOptions
{
    public const string SectionName = "Tiers";

    /// <summary>Policy of an environment that has none of its own. Hot defaults to <c>Agents:HotRetention</c>.</summary>
    public TierPolicyDefaults Defaults { get; set; } = new();

    /// <summary><c>folder</c> (default) or <c>s3</c>.</summary>
    [RegularExpression("^(folder|s3)$")]
    public string ColdStore { get; set; } = "folder";

    /// <summary>Folder of the folder store; empty means <c>.data/cold</c> under the working directory.</summary>
    public string Folder { get; set; } = "";

    public S3StoreOptions S3 { get; set; } = new();

    /// <summary>Whether this instance runs the archive job in the background (several instances may).</summary>
    public bool ArchiveEnabled { get; set; } = true;

    [Range(typeof(TimeSpan), "00:00:01", "1.00:00:00")]
    public TimeSpan ArchiveInterval { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>Records per cold chunk.</summary>
    [Range(100, 1_000_000)]
    public int ChunkRecords { get; set; } = 20_000;

    /// <summary><c>gzip</c> or <c>brotli</c> (docs/cold-format.md).</summary>
    [RegularExpression("^(gzip|brotli)$")]
    public string Compression { get; set; } = "gzip";

    /// <summary>First wait after a failed archive attempt; doubles per attempt up to <see cref="RetryMax"/>.</summary>
    [Range(typeof(TimeSpan), "00:00:00.001", "1.00:00:00")]
    public TimeSpan RetryBase { get; set; } = TimeSpan.FromSeconds(10);

    [Range(typeof(TimeSpan), "00:00:00.001", "7.00:00:00")]
    public TimeSpan RetryMax { get; set; } = TimeSpan.FromMinutes(30);

    /// <summary>Decoded cold chunks kept in memory for paged reads (each about 5 MB at 20,000 records).</summary>
    [Range(0, 1000)]
    public int ChunkCache { get; set; } = 8;
}

public sealed class TierPolicyDefaults
{
    [Range(0, 100)]
    public int? HotReleases { get; set; }

    [Range(0, 36_500)]
    public int WarmDays { get; set; } = 30;

    [Range(1, 1_000_000)]
    public int WarmVersions { get; set; } = 50;

    /// <summary>Days a version stays in cold storage; empty keeps it for ever.</summary>
    [Range(1, 36_500)]
    public int? ColdKeepDays { get; set; }
}

public sealed class S3StoreOptions
{
    /// <summary>Endpoint of an S3-compatible service, e.g. http://127.0.0.1:9000; empty uses AWS with <see cref="Region"/>.</summary>
    public string ServiceUrl { get; set; } = "";

    public string Region { get; set; } = "us-east-1";

    public string Bucket { get; set; } = "";

    public string AccessKey { get; set; } = "";

    public string SecretKey { get; set; } = "";

    /// <summary>Key prefix under which archives are written.</summary>
    public string Prefix { get; set; } = "";

    public bool ForcePathStyle { get; set; } = true;

    /// <summary>Create the bucket when it does not exist (development servers).</summary>
    public bool CreateBucket { get; set; }
}
