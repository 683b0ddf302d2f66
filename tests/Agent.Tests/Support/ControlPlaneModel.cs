using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using ControlPlane.Contracts;
using Microsoft.AspNetCore.Http;

namespace Agent.Tests.Support;

/// <summary>
/// The control plane's side of the agent protocol in memory, served by <see cref="FakeControlPlane"/>: dataset versions,
/// the desired state (long-polled) and the reports agents send.
/// </summary>
public sealed class ControlPlaneModel
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);
    private readonly Lock _lock = new();
    private readonly Dictionary<(string Dataset, int Version), IReadOnlyDictionary<string, string>> _versions = [];
    private readonly List<AgentReport> _reports = [];
    private IReadOnlyList<long> _hold = [];
    private SwitchOrder? _live;
    private int _etag;
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private readonly List<(string Dataset, LiveChange Change)> _liveChanges = [];

    public Dictionary<long, IReadOnlyDictionary<string, int>> Releases { get; } = [];

    /// <summary>Live changes served per pull at most, and how long each pull that finds some takes.</summary>
    public int LiveChangePage { get; set; } = 1000;

    public TimeSpan LiveChangeDelay { get; set; }

    /// <summary>Appends live changes to a dataset's log (sequence numbers must grow).</summary>
    public void AddLiveChanges(string dataset, IEnumerable<LiveChange> changes)
    {
        lock (_lock)
        {
            _liveChanges.AddRange(changes.Select(c => (dataset, c)));
        }
    }

    public int ChunkSize { get; set; } = 4;

    /// <summary>How long each changes chunk takes, to catch an agent mid-layer.</summary>
    public TimeSpan ChangesDelay { get; set; }

    /// <summary>Manifest content hashes to announce instead of the true ones, by dataset and version.</summary>
    public Dictionary<(string Dataset, int Version), string> WrongHashes { get; } = [];

    public IReadOnlyList<AgentReport> Reports
    {
        get
        {
            lock (_lock)
            {
                return [.. _reports];
            }
        }
    }

    public void AddVersion(string dataset, int version, IReadOnlyDictionary<string, string> records)
    {
        lock (_lock)
        {
            _versions[(dataset, version)] = records;
        }
    }

    public void Desire(IReadOnlyList<long> hold, SwitchOrder? live)
    {
        lock (_lock)
        {
            _hold = hold;
            _live = live;
            _etag++;
            _changed.TrySetResult();
            _changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }
    }

    public async Task HandleAsync(HttpContext context)
    {
        var path = context.Request.Path.Value!.Split('/', StringSplitOptions.RemoveEmptyEntries);
        switch (path)
        {
            case ["api", "v1", "agents", "register"]:
                var registration = await JsonSerializer.DeserializeAsync<AgentRegistration>(context.Request.Body, Json);
                await context.Response.WriteAsJsonAsync(new AgentRegistered(registration!.AgentId, registration.Environment, registration.Group, 1, 1), Json);
                break;
            case ["api", "v1", "agents", _, "report"]:
                var report = await JsonSerializer.DeserializeAsync<AgentReport>(context.Request.Body, Json);
                lock (_lock)
                {
                    _reports.Add(report!);
                }

                context.Response.StatusCode = StatusCodes.Status204NoContent;
                break;
            case ["api", "v1", "agents", _, "changes"]:
                await LiveChangesAsync(context);
                break;
            case ["api", "v1", "agents", _, "desired"]:
                await DesiredAsync(context);
                break;
            case ["api", "v1", "datasets", var dataset, "versions", var version, "changes"]:
                await ChangesAsync(context, dataset, int.Parse(version, CultureInfo.InvariantCulture));
                break;
            default:
                context.Response.StatusCode = StatusCodes.Status404NotFound;
                break;
        }
    }

    private async Task DesiredAsync(HttpContext context)
    {
        Task changed;
        lock (_lock)
        {
            changed = _changed.Task;
            if (context.Request.Query["known"] != ETag())
            {
                changed = Task.CompletedTask;
            }
        }

        // A short hold stands in for the server's 30 s.
        await Task.WhenAny(changed, Task.Delay(TimeSpan.FromSeconds(1)));
        DesiredState state;
        lock (_lock)
        {
            if (context.Request.Query["known"] == ETag())
            {
                context.Response.StatusCode = StatusCodes.Status304NotModified;
                return;
            }

            var manifests = _hold.Select(id => new ReleaseManifest(id, Releases[id].ToDictionary(d => d.Key, d =>
            {
                var version = Versions.Ref(d.Value, _versions[(d.Key, d.Value)]);
                return WrongHashes.TryGetValue((d.Key, d.Value), out var wrong) ? version with { ContentHash = wrong } : version;
            }))).ToList();
            state = new DesiredState(ETag(), "test", manifests, _live, 1);
        }

        await context.Response.WriteAsJsonAsync(state, Json);
    }

    private async Task ChangesAsync(HttpContext context, string dataset, int version)
    {
        await Task.Delay(ChangesDelay);
        List<ChangeLine> lines;
        lock (_lock)
        {
            var since = context.Request.Query["since"] is { Count: > 0 } s ? _versions[(dataset, int.Parse(s!, CultureInfo.InvariantCulture))] : null;
            lines = Versions.Changes(since, _versions[(dataset, version)]);
        }

        var after = context.Request.Query["after"].FirstOrDefault();
        var limit = int.Parse(context.Request.Query["limit"]!, CultureInfo.InvariantCulture);
        var page = lines.Where(l => after is null || string.CompareOrdinal(l.Sku, after) > 0).Take(Math.Min(limit, ChunkSize)).ToList();
        var body = new StringBuilder();
        foreach (var line in page)
        {
            body.Append(line.Deleted
                ? $"{{\"sku\":{JsonSerializer.Serialize(line.Sku)},\"deleted\":true}}\n"
                : $"{{\"sku\":{JsonSerializer.Serialize(line.Sku)},\"data\":{line.Data}}}\n");
        }

        var bytes = Encoding.UTF8.GetBytes(body.ToString());
        context.Response.Headers[ChunkHeaders.Sha256] = Convert.ToHexStringLower(SHA256.HashData(bytes));
        if (page.Count > 0 && lines.Any(l => string.CompareOrdinal(l.Sku, page[^1].Sku) > 0))
        {
            context.Response.Headers[ChunkHeaders.NextAfter] = Uri.EscapeDataString(page[^1].Sku);
        }

        await context.Response.Body.WriteAsync(bytes);
    }

    private async Task LiveChangesAsync(HttpContext context)
    {
        var dataset = context.Request.Query["dataset"].ToString();
        var after = long.Parse(context.Request.Query["after"]!, CultureInfo.InvariantCulture);
        var limit = Math.Min(LiveChangePage, int.Parse(context.Request.Query["limit"]!, CultureInfo.InvariantCulture));
        List<LiveChange> page;
        long last;
        lock (_lock)
        {
            var log = _liveChanges.Where(c => c.Dataset == dataset).Select(c => c.Change).ToList();
            page = [.. log.Where(c => c.Seq > after).Take(limit)];
            last = log.Count > 0 ? log[^1].Seq : 0;
        }

        // A short hold stands in for the server's long poll.
        await Task.Delay(page.Count > 0 ? LiveChangeDelay : TimeSpan.FromMilliseconds(200));
        await context.Response.WriteAsJsonAsync(new LiveChangePage(dataset, after, last, page), Json);
    }

    private string ETag() => "e" + _etag.ToString(CultureInfo.InvariantCulture);
}
