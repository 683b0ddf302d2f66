using System.Collections.Concurrent;
using System.Net;
using EndToEnd.Tests.Support;
using Xunit.Abstractions;

namespace EndToEnd.Tests;

/// <summary>
/// Storefront readers hammer every agent's Redis while releases are published and rolled back over and over: every answer
/// must be one whole release (I1), never a mix and never half-loaded.
/// </summary>
public sealed class ConsistencyTests(ITestOutputHelper output)
{
    private const int Skus = 2000;
    private const int Operations = 50;
    private const int BatchSize = 100;

    [Fact]
    public async Task Readers_only_ever_see_whole_releases_while_publishes_and_rollbacks_alternate()
    {
        // One hot release besides the live one: the third content is staged again and again under the readers.
        await using var cluster = await Cluster.StartAsync(output, "consistency", new ClusterOptions
        {
            Settings = new Dictionary<string, string?> { ["Agents:HotRetention"] = "1" },
        });
        var contents = new Dictionary<int, Dictionary<string, int>>();
        for (var content = 1; content <= 3; content++)
        {
            contents[content] = await cluster.ImportContentAsync(Skus, content);
        }

        // Every release the readers may meet is entered here before it is published.
        var contentOf = new ConcurrentDictionary<long, int>();
        var (first, _) = await PublishNewAsync(cluster, contents, contentOf, content: 1);
        await cluster.WaitPointersAsync(first);

        using var stop = new CancellationTokenSource();
        var readers = cluster.Agents.SelectMany(agent => Enumerable.Range(0, 2).Select(seed => new Reader(cluster, agent, contentOf, seed))).ToList();
        var reading = readers.Select(r => Task.Run(() => r.RunAsync(stop.Token))).ToList();

        var random = new Random(7);
        var live = first;
        var kinds = new List<string>();
        try
        {
            for (var op = 0; op < Operations && readers.All(r => r.Failure is null); op++)
            {
                PublicationDto started;
                switch (op % 3)
                {
                    case 0:
                        (_, started) = await PublishNewAsync(cluster, contents, contentOf, content: (contentOf[live] % 3) + 1, wait: false);
                        break;
                    case 1:
                        started = await cluster.Api.RollbackAsync(cluster.Environment);
                        break;
                    default:
                        var others = contentOf.Where(r => r.Value != contentOf[live]).Select(r => r.Key).Order().ToList();
                        started = await cluster.Api.RollbackAsync(cluster.Environment, others[random.Next(others.Count)]);
                        break;
                }

                kinds.Add(started.Kind);
                live = (await cluster.Api.WaitLiveAsync(started.Id)).ReleaseId;
                cluster.Log.Write("test", $"operation {op}: {started.Kind} of release {live} (content {contentOf[live]}) is live");
            }

            // Let the readers see the last release too.
            await cluster.WaitPointersAsync(live);
            await Eventually.UntilAsync(() => readers.All(r => r.Reads > 0 && r.LastRelease == live) || readers.Any(r => r.Failure is not null), "every reader reads the last release");
        }
        finally
        {
            await stop.CancelAsync();
            await Task.WhenAll(reading);
        }

        foreach (var reader in readers)
        {
            output.WriteLine($"{reader.Name}: {reader.Reads} reads of {BatchSize} SKUs, {reader.Releases.Count} releases seen, {reader.Switches} switches seen");
        }

        Assert.All(readers, r => Assert.Null(r.Failure));
        Assert.Equal(Operations, kinds.Count);
        Assert.Contains("publish", kinds);
        Assert.Contains("rollback", kinds);
        Assert.All(readers, r => Assert.True(r.Reads > 0, $"{r.Name} read nothing"));
        Assert.True(readers.Sum(r => r.Reads) > 0);
        Assert.True(readers.Max(r => r.Switches) > 0, "some reader saw the release change under it");
        var expected = await cluster.ExpectedAsync(live);
        foreach (var agent in cluster.Agents)
        {
            await cluster.AssertReadsAsync(agent, expected);
        }
    }

    private static async Task<(long Release, PublicationDto Publication)> PublishNewAsync(
        Cluster cluster, Dictionary<int, Dictionary<string, int>> contents, ConcurrentDictionary<long, int> contentOf, int content, bool wait = true)
    {
        var release = await cluster.Api.CreateReleaseAsync(cluster.Environment, contents[content], $"content {content}");
        contentOf[release] = content;
        using var response = await cluster.Api.PostPublishAsync(release);
        var started = await ControlPlane.Tests.Support.Http.ReadAsync<PublicationDto>(response, HttpStatusCode.Accepted);
        return (release, wait ? await cluster.Api.WaitLiveAsync(started.Id) : started);
    }

    /// <summary>A storefront reading batches of SKUs through cp_get on one Redis, checking every answer.</summary>
    private sealed class Reader(Cluster cluster, AgentNode agent, ConcurrentDictionary<long, int> contentOf, int seed)
    {
        private long _reads;
        private long _lastRelease;

        public string Name { get; } = $"{agent.Group} reader {seed}";

        public long Reads => Interlocked.Read(ref _reads);

        public long LastRelease => Interlocked.Read(ref _lastRelease);

        public HashSet<long> Releases { get; } = [];

        public int Switches { get; private set; }

        public string? Failure { get; private set; }

        public async Task RunAsync(CancellationToken stop)
        {
            var random = new Random(seed + agent.Group.GetHashCode(StringComparison.Ordinal));
            var reader = agent.Reader(cluster.Environment);
            long generation = 0;
            while (!stop.IsCancellationRequested && Failure is null)
            {
                // A contiguous run and a scattering of SKUs, the first and the last among them now and then.
                var start = random.Next(1, Skus - (BatchSize / 2));
                var skus = Enumerable.Range(start, BatchSize / 2).Concat(Enumerable.Range(0, BatchSize / 2).Select(_ => random.Next(1, Skus + 1)))
                    .Select(Catalogue.Sku).ToList();
                try
                {
                    var answer = await reader.GetManyAsync(skus);
                    if (answer is null)
                    {
                        Failure = $"{Name}: nothing is live";
                        break;
                    }

                    var release = answer[0].ReleaseId;
                    if (!contentOf.TryGetValue(release, out var content))
                    {
                        Failure = $"{Name}: read release {release}, which was never published";
                        break;
                    }

                    Failure = Check(answer, release, content);
                    if (answer[0].Generation < generation)
                    {
                        Failure ??= $"{Name}: the generation went back from {generation} to {answer[0].Generation}";
                    }

                    if (answer[0].Generation != generation && generation != 0)
                    {
                        Switches++;
                    }

                    generation = answer[0].Generation;
                    Releases.Add(release);
                    Interlocked.Exchange(ref _lastRelease, release);
                    Interlocked.Increment(ref _reads);
                }
                catch (Exception exception) when (exception is StackExchange.Redis.RedisException or TimeoutException)
                {
                    Failure = $"{Name}: cp_get failed: {exception.Message}";
                }
            }
        }

        private string? Check(IReadOnlyList<ControlPlane.Reader.PromotionData> answer, long release, int content)
        {
            foreach (var data in answer)
            {
                if (data.ReleaseId != release)
                {
                    return $"{Name}: one answer holds releases {release} and {data.ReleaseId}";
                }

                foreach (var dataset in Catalogue.Datasets)
                {
                    if (data[dataset] is not { } json)
                    {
                        return $"{Name}: {dataset} of {data.Sku} is missing in release {release}";
                    }

                    if (Catalogue.MarkerOf(dataset, json) != content)
                    {
                        return $"{Name}: {dataset} of {data.Sku} is from content {Catalogue.MarkerOf(dataset, json)} but release {release} has content {content}: {json}";
                    }
                }
            }

            return null;
        }
    }
}
