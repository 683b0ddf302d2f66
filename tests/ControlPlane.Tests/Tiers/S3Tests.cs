using ControlPlane.Tests.Datasets;
using ControlPlane.Tests.Releases;
using ControlPlane.Tests.Support;
using ControlPlane.Tiers;

namespace ControlPlane.Tests.Tiers;

/// <summary>The S3-compatible server that ./test starts (s3rver); the cold tier's S3 store is tested against it.</summary>
public static class TestS3
{
    public const string Variable = "CONTROLPLANE_TEST_S3";

    public static string Endpoint =>
        Environment.GetEnvironmentVariable(Variable) is { Length: > 0 } value
            ? value
            : throw new InvalidOperationException($"{Variable} is not set. Run the tests with ./test, which starts an S3-compatible server (s3rver).");

    public static S3StoreOptions Options(string bucket, string? endpoint = null) => new()
    {
        ServiceUrl = endpoint ?? Endpoint,
        Bucket = bucket,
        AccessKey = "S3RVER",
        SecretKey = "S3RVER",
        Prefix = "archives/",
        CreateBucket = true,
    };
}

/// <summary>The control plane with its cold tier in a bucket of the test S3 server.</summary>
public sealed class S3TiersFixture : TiersFixture
{
    public string Bucket { get; } = "cp-" + Guid.NewGuid().ToString("N")[..16];

    protected override IEnumerable<KeyValuePair<string, string?>> Settings =>
    [
        .. base.Settings,
        new("Tiers:ColdStore", "s3"),
        new("Tiers:S3:ServiceUrl", TestS3.Endpoint),
        new("Tiers:S3:Bucket", Bucket),
        new("Tiers:S3:AccessKey", "S3RVER"),
        new("Tiers:S3:SecretKey", "S3RVER"),
        new("Tiers:S3:Prefix", "archives/"),
        new("Tiers:S3:CreateBucket", "true"),
    ];
}

public sealed class S3Tests(S3TiersFixture fixture) : TiersTest<S3TiersFixture>(fixture), IClassFixture<S3TiersFixture>
{
    [Fact]
    public async Task The_s3_store_writes_reads_and_deletes_objects_and_answers_null_for_a_missing_one()
    {
        using var store = new S3ColdStore(TestS3.Options("cp-" + Guid.NewGuid().ToString("N")[..16]));
        byte[] content = [1, 2, 3, 0, 255];

        await store.PutAsync("price/0000000001/chunk-000000.tsv.gz", content, CancellationToken.None);

        Assert.Equal(content, await store.GetAsync("price/0000000001/chunk-000000.tsv.gz", CancellationToken.None));
        Assert.Null(await store.GetAsync("price/0000000001/manifest.json", CancellationToken.None));
        await store.DeleteAsync("price/0000000001/chunk-000000.tsv.gz", CancellationToken.None);
        Assert.Null(await store.GetAsync("price/0000000001/chunk-000000.tsv.gz", CancellationToken.None));
    }

    [Fact]
    public async Task Versions_archived_to_s3_read_and_publish_as_if_warm()
    {
        for (var v = 1; v <= 4; v++)
        {
            await Client.ImportAsync("price", Bodies.Ndjson(Bodies.Prices(250, seed: v)));
        }

        var before = await Client.SnapshotAsync("price", [1, 2, 4], [1, 4], ["P-00001", "P-00250"]);

        Assert.Equal(["price v1", "price v2"], (await RunArchiveAsync()).Archived.Order());

        Assert.Equal("cold", await TierOfAsync("price", 1));
        Assert.StartsWith($"s3:{Fixture.Bucket}/archives/", (await Client.GetOkAsync<TiersOverviewDto>("/api/v1/tiers")).ColdStore, StringComparison.Ordinal);
        var after = await Client.SnapshotAsync("price", [1, 2, 4], [1, 4], ["P-00001", "P-00250"]);
        foreach (var (what, expected) in before)
        {
            Assert.True(expected == after[what], $"{what} differs after archiving to S3");
        }

        // The objects are in the bucket under the prefix, and a publish of the cold version passes the chunk check.
        using var store = new S3ColdStore(TestS3.Options(Fixture.Bucket));
        Assert.NotNull(await store.GetAsync("price/0000000001/manifest.json", CancellationToken.None));
        var environment = await Client.NewEnvironmentAsync("g");
        var agent = await TestAgent.RegisterAsync(Client, environment + "-a", environment, "g");
        await agent.ReportAsync();
        var release = await Client.CreateReleaseAsync(environment, new() { ["price"] = 1 });
        Assert.Equal("Staging", (await Client.PublishAsync(release)).State);
    }

    [Fact]
    public async Task S3_unreachable_removes_nothing_and_the_failure_is_shown()
    {
        for (var v = 1; v <= 3; v++)
        {
            await Client.ImportAsync("price", Bodies.Ndjson(Bodies.Prices(50, seed: v)));
        }

        var rows = await Fixture.Database.CountRowsAsync("records_price");

        // Nothing listens on port 9 of the loopback.
        using var down = new S3ColdStore(TestS3.Options(Fixture.Bucket, "http://127.0.0.1:9"));
        var result = await Fixture.JobWith(down).RunOnceAsync(CancellationToken.None);

        Assert.StartsWith("price v1: Cold store s3:", Assert.Single(result.Failed), StringComparison.Ordinal);
        Assert.Equal("warm", await TierOfAsync("price", 1));
        Assert.Equal(rows, await Fixture.Database.CountRowsAsync("records_price"));
        var failure = Assert.Single((await Client.GetOkAsync<TiersOverviewDto>("/api/v1/tiers")).ArchiveJob.Failures);
        Assert.Equal(("retrying", 1), (failure.State, failure.Attempts));
    }
}
