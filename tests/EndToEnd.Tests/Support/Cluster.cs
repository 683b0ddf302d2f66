using System.Text.Json;
using System.Text.Json.Nodes;
using ControlPlane.Contracts;
using ControlPlane.Reader;
using ControlPlane.Tests.Support;
using StackExchange.Redis;
using Xunit.Abstractions;

namespace EndToEnd.Tests.Support;

/// <summary>One agent group's serving cluster: its Redis and the agent beside it (restartable, same id and Redis).</summary>
public sealed class AgentNode(string group, string agentId, RedisServer redis)
{
    private ConnectionMultiplexer? _readerConnection;

    public string Group => group;

    public string AgentId => agentId;

    public RedisServer Redis => redis;

    public AgentHost? Host { get; set; }

    public AgentHost RunningHost => Host ?? throw new InvalidOperationException($"Agent {agentId} is not running.");

    /// <summary>A storefront's reader of this Redis.</summary>
    public PromotionDataReader Reader(string environment)
    {
        _readerConnection ??= StackExchangeRedisClient.Connect($"{redis.Configuration},syncTimeout=30000");
        return new PromotionDataReader(new StackExchangeRedisClient(_readerConnection.GetDatabase()), environment);
    }

    public async Task<LivePointer?> PointerAsync(string environment)
    {
        var json = (string?)await redis.Database.StringGetAsync(RedisLayout.LiveKey(environment));
        return json is null ? null : JsonSerializer.Deserialize<LivePointer>(json, Http.Json);
    }

    public void DisposeReader() => _readerConnection?.Dispose();
}

/// <summary>Settings of a <see cref="Cluster"/>; control plane settings are added to (and win over) the fast test defaults.</summary>
public sealed record ClusterOptions
{
    public IReadOnlyList<string> Groups { get; init; } = ["east", "west"];

    public IReadOnlyDictionary<string, string?> Settings { get; init; } = new Dictionary<string, string?>();

    /// <summary>Change lines per chunk an agent fetches; small makes staging span many chunks.</summary>
    public int ChunkSize { get; init; } = 5000;

    /// <summary>Agents' Redis servers keep an append-only file (fsync on every write), so a restart keeps their data.</summary>
    public bool PersistentRedis { get; init; }

    /// <summary>The environment's exact name (e.g. "prod", as the README's examples say); null: the test's name and a random suffix.</summary>
    public string? EnvironmentName { get; init; }

    /// <summary>
    /// Guardrails:RequireAcknowledgement (on in the product). Off by default here: the tests' contents move every price
    /// and are about the publish path, not about review; governance tests turn it on.
    /// </summary>
    public bool RequireWarningAcknowledgement { get; init; }
}

/// <summary>
/// A whole deployment for one test: a fresh database, the control plane on it, and per agent group a redis-server and
/// an agent, all for an environment of the test's own. Everything is real; only the clock of the test is not asserted on.
/// </summary>
public sealed class Cluster : IAsyncDisposable
{
    private readonly ITestOutputHelper _output;
    private readonly ClusterOptions _options;
    private readonly Dictionary<string, string?> _settings;
    private ControlPlaneServer? _controlPlane;
    private int? _stoppedPort;

    private Cluster(ITestOutputHelper output, ClusterOptions options, string environment, TestDatabase database)
    {
        _output = output;
        _options = options;
        Environment = environment;
        Database = database;
        Api = new ControlPlaneApi(() => ControlPlane.Client);
        _settings = new Dictionary<string, string?>
        {
            ["Database:ConnectionString"] = database.ConnectionString,
            ["Database:MigrateOnStart"] = "true",
            ["Agents:HeartbeatSeconds"] = "1",
            ["Agents:StaleAfterSeconds"] = "5",
            ["Agents:LongPollSeconds"] = "2",
            ["Publish:SweepInterval"] = "00:00:00.250",
            ["Identity:BootstrapAdminToken"] = ControlPlaneServer.AdminToken,
            ["Guardrails:RequireAcknowledgement"] = options.RequireWarningAcknowledgement ? "true" : "false",
        };
        for (var i = 0; i < options.Groups.Count; i++)
        {
            _settings[$"Environments:Declared:{environment}:{i}"] = options.Groups[i];
            // Each agent authenticates with a token bound to its id, configured as an operator would.
            var agentId = $"{environment}-{options.Groups[i]}";
            AgentTokens[agentId] = "agent-" + Guid.NewGuid().ToString("N");
            _settings[$"Identity:AgentTokens:{i}:AgentId"] = agentId;
            _settings[$"Identity:AgentTokens:{i}:Token"] = AgentTokens[agentId];
        }

        foreach (var (key, value) in options.Settings)
        {
            _settings[key] = value;
        }
    }

    public string Environment { get; }

    public TestDatabase Database { get; }

    public TestLog Log { get; } = new();

    public ControlPlaneApi Api { get; }

    public ControlPlaneServer ControlPlane => _controlPlane ?? throw new InvalidOperationException("The control plane is not running.");

    public List<AgentNode> Agents { get; } = [];

    /// <summary>The token of each agent (by agent id), as Identity:AgentTokens configures it.</summary>
    public Dictionary<string, string> AgentTokens { get; } = new(StringComparer.Ordinal);

    public AgentNode Agent(string group) => Agents.Single(a => a.Group == group);

    /// <summary>Starts everything and waits until every agent has registered.</summary>
    public static async Task<Cluster> StartAsync(ITestOutputHelper output, string name, ClusterOptions? options = null)
    {
        options ??= new ClusterOptions();
        // Environment names are the test's own: agents of one environment would share keys.
        var environment = options.EnvironmentName ?? $"{name}-{Guid.NewGuid().ToString("N")[..6]}";
        var cluster = new Cluster(output, options, environment, await TestDatabase.CreateAsync());
        try
        {
            cluster._controlPlane = await ControlPlaneServer.StartAsync(cluster._settings, cluster.Log);
            foreach (var group in options.Groups)
            {
                cluster.Agents.Add(new AgentNode(group, $"{environment}-{group}", await RedisServer.StartAsync(options.PersistentRedis)));
            }

            foreach (var agent in cluster.Agents)
            {
                await cluster.StartAgentAsync(agent);
            }

            await cluster.WaitAgentsRegisteredAsync();
            return cluster;
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }
    }

    public async Task StartAgentAsync(AgentNode agent, Action<AgentTransport>? configureTransport = null)
    {
        if (agent.Host is not null)
        {
            throw new InvalidOperationException($"Agent {agent.AgentId} is running already.");
        }

        agent.Host = await AgentHost.StartAsync(
            new AgentSettings(agent.AgentId, Environment, agent.Group, agent.Redis.Configuration, ControlPlane.Address, _options.ChunkSize)
            {
                Token = AgentTokens[agent.AgentId],
            },
            Log, configureTransport);
    }

    public async Task KillAgentAsync(AgentNode agent)
    {
        Log.Write("test", $"killing agent {agent.AgentId}");
        await agent.RunningHost.KillAsync();
        agent.Host = null;
        Log.Write("test", $"agent {agent.AgentId} is dead");
    }

    /// <summary>Stops the control plane: requests in flight are cut off, new ones find nothing listening.</summary>
    public async Task StopControlPlaneAsync()
    {
        _stoppedPort = ControlPlane.Address.Port;
        Log.Write("test", "stopping the control plane");
        await ControlPlane.DisposeAsync();
        _controlPlane = null;
        Log.Write("test", "the control plane is down");
    }

    /// <summary>Starts a new control plane on the same database and address as the one stopped.</summary>
    public async Task StartControlPlaneAgainAsync()
    {
        Log.Write("test", "starting the control plane again");
        _controlPlane = await ControlPlaneServer.StartAsync(_settings, Log, _stoppedPort ?? throw new InvalidOperationException("The control plane was not stopped."));
    }

    public Task WaitAgentsRegisteredAsync() =>
        Eventually.ReadUntilAsync(
            () => Api.EnvironmentAsync(Environment),
            view => Agents.All(a => view.Agents.Any(v => v.Id == a.AgentId && v.Status != "stale")),
            "every agent has registered");

    /// <summary>
    /// Imports full snapshots of every dataset (SKUs 1..count in <paramref name="content"/>, and the odd SKUs when
    /// <paramref name="odd"/>); returns the versions.
    /// </summary>
    public async Task<Dictionary<string, int>> ImportContentAsync(int count, int content, bool odd = false)
    {
        var versions = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var dataset in Catalogue.Datasets)
        {
            versions[dataset] = (await Api.ImportAsync(dataset, Catalogue.Snapshot(dataset, count, content, odd))).Version;
        }

        return versions;
    }

    /// <summary>Creates a release of the versions, publishes it and waits until it is live; returns the release id.</summary>
    public async Task<(long Release, PublicationDto Publication)> PublishLiveAsync(IReadOnlyDictionary<string, int> versions)
    {
        var release = await Api.CreateReleaseAsync(Environment, versions);
        var started = await Api.PublishAsync(release);
        return (release, await Api.WaitLiveAsync(started.Id));
    }

    /// <summary>Waits until every agent's Redis names <paramref name="releaseId"/> in its live pointer.</summary>
    public async Task WaitPointersAsync(long releaseId, IEnumerable<AgentNode>? agents = null)
    {
        foreach (var agent in agents ?? Agents)
        {
            await Eventually.ReadUntilAsync(
                () => agent.PointerAsync(Environment), p => p?.Release == releaseId, $"the pointer of {agent.AgentId} names release {releaseId}");
        }
    }

    /// <summary>What a release holds, read from the API: every record of each of its versions, and each version's content hash.</summary>
    public async Task<ExpectedRelease> ExpectedAsync(long releaseId)
    {
        var release = (await Api.ReleaseAsync(releaseId)).Release;
        var records = new Dictionary<string, Dictionary<string, JsonNode>>(StringComparer.Ordinal);
        var hashes = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (dataset, version) in release.Versions)
        {
            records[dataset] = await Api.RecordsAsync(dataset, version);
            hashes[dataset] = (await Api.VersionAsync(dataset, version)).ContentHash;
        }

        return new ExpectedRelease(releaseId, records, hashes);
    }

    /// <summary>
    /// Reads every SKU of <paramref name="expected"/> (and <paramref name="alsoAbsent"/>) through cp_get on the agent's
    /// Redis and asserts the answers are the release's records exactly, and that the values hash to each version's hash.
    /// </summary>
    public async Task AssertReadsAsync(AgentNode agent, ExpectedRelease expected, IEnumerable<string>? alsoAbsent = null)
    {
        var skus = expected.Records.Values.SelectMany(r => r.Keys).Concat(alsoAbsent ?? []).Distinct().Order(StringComparer.Ordinal).ToList();
        var reader = agent.Reader(Environment);
        var hashes = expected.Records.Keys.ToDictionary(d => d, _ => new ContentHash(), StringComparer.Ordinal);
        foreach (var batch in skus.Chunk(500))
        {
            var answer = await reader.GetManyAsync(batch);
            Assert.True(answer is not null, $"{agent.AgentId}: nothing is live");
            foreach (var data in answer)
            {
                Assert.True(data.ReleaseId == expected.ReleaseId, $"{agent.AgentId}: {data.Sku} was read from release {data.ReleaseId}, expected {expected.ReleaseId}");
                Assert.Equal(expected.Records.Keys.Order(StringComparer.Ordinal), data.Datasets.Keys.Order(StringComparer.Ordinal));
                foreach (var (dataset, records) in expected.Records)
                {
                    var read = data[dataset];
                    if (!records.TryGetValue(data.Sku, out var record))
                    {
                        Assert.True(read is null, $"{agent.AgentId}: {dataset} of {data.Sku} should be absent in release {expected.ReleaseId} but reads {read}");
                        continue;
                    }

                    Assert.True(read is not null, $"{agent.AgentId}: {dataset} of {data.Sku} is missing; release {expected.ReleaseId} has {record.ToJsonString()}");
                    Assert.True(JsonNode.DeepEquals(record, JsonNode.Parse(read)), $"{agent.AgentId}: {dataset} of {data.Sku} reads {read}, expected {record.ToJsonString()}");
                    hashes[dataset].Add(read);
                }
            }
        }

        foreach (var (dataset, hash) in hashes)
        {
            Assert.True(hash.Value() == expected.Hashes[dataset], $"{agent.AgentId}: the {dataset} values read hash to {hash.Value()}, the version's hash is {expected.Hashes[dataset]}");
        }
    }

    public async ValueTask DisposeAsync()
    {
        Log.Write("test", "tearing down");
        try
        {
            foreach (var agent in Agents)
            {
                try
                {
                    if (agent.Host is not null)
                    {
                        await agent.Host.StopAsync();
                        agent.Host = null;
                    }
                }
                catch (Exception exception)
                {
                    Log.Write("test", $"stopping {agent.AgentId} failed: {exception.Message}");
                }
            }

            if (_controlPlane is not null)
            {
                await _controlPlane.DisposeAsync();
                _controlPlane = null;
            }

            foreach (var agent in Agents)
            {
                agent.DisposeReader();
                await agent.Redis.DisposeAsync();
            }

            await Database.DisposeAsync();
        }
        finally
        {
            // What happened is the first thing to read when an end-to-end test fails.
            Log.CopyTo(_output);
        }
    }
}

/// <summary>The records of a release's versions by dataset and SKU, and each version's content hash.</summary>
public sealed record ExpectedRelease(long ReleaseId, Dictionary<string, Dictionary<string, JsonNode>> Records, Dictionary<string, string> Hashes);
