using System.Net;
using Agent.ControlPlaneApi;
using Agent.Redis;
using ControlPlane.Contracts;
using ControlPlane.Reader;
using Microsoft.Extensions.Options;

namespace Agent.Loop;

/// <summary>
/// The agent: registers, then long-polls its desired state and reconciles Redis with it: stages the releases to
/// hold, switches the pointer when told, drops layers no release needs. Every step can be repeated, and a restart at
/// any point resumes from what Redis holds (I5).
/// </summary>
public sealed partial class AgentLoop(
    IOptions<AgentOptions> options,
    IRedisClient redis,
    ControlPlaneClient client,
    AgentStatus status,
    AgentReporter reporter,
    ArmedSwitch armed,
    TimeProvider time,
    ILogger<AgentLoop> logger) : BackgroundService
{
    // Whether this process has seen layers in Redis; an empty Redis after that means Redis lost its data.
    private bool _believedLayers;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var agent = options.Value;
        var store = new LayerStore(redis, agent.Environment);
        var stager = new LayerStager(store, client, status, agent.ChunkSize, () => reporter.ProgressAsync(stoppingToken), logger);
        await RetryAsync(() => ReaderLibrary.LoadAsync(redis), stoppingToken);

        // Before anything needs the control plane: a switch armed before a restart must still land on time without it.
        await RetryAsync(() => armed.RestoreAsync(store, stoppingToken), stoppingToken);
        var registered = await RegisterAsync(stoppingToken);
        var heartbeat = TimeSpan.FromSeconds(agent.HeartbeatSeconds > 0 ? agent.HeartbeatSeconds : Math.Max(1, registered.HeartbeatSeconds));
        using var heartbeatStop = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
        var heartbeatTask = HeartbeatAsync(heartbeat, heartbeatStop.Token);

        try
        {
            await RunAsync(store, stager, stoppingToken);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }

        await heartbeatStop.CancelAsync();
        await heartbeatTask;
    }

    private async Task RunAsync(LayerStore store, LayerStager stager, CancellationToken stoppingToken)
    {
        var agent = options.Value;
        var backoff = new Backoff(time, TimeSpan.FromMilliseconds(500), TimeSpan.FromSeconds(30));
        DesiredState? desired = null;
        string? known = null;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                // Answers at once when the state differs from what we know, else when the server's wait ends.
                if (await client.GetDesiredAsync(agent.AgentId, known, stoppingToken) is { } next)
                {
                    desired = next;
                    known = next.ETag;
                }

                if (desired is not null)
                {
                    await ReconcileAsync(store, stager, desired, stoppingToken);
                }

                status.SetError(null);
                backoff.Reset();
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception exception)
            {
                status.SetError(exception.Message);
                LogStepFailed(exception);
                await reporter.SendAsync(stoppingToken);
                if (exception is HttpRequestException { StatusCode: HttpStatusCode.NotFound or HttpStatusCode.Unauthorized })
                {
                    // The control plane forgot us (or was reset): registering again is harmless.
                    await RegisterAsync(stoppingToken);
                }

                await Delay(backoff, stoppingToken);
                // Ask for the state without a known ETag: the answer comes at once and the failed step is retried.
                known = null;
            }
        }
    }

    private async Task ReconcileAsync(LayerStore store, LayerStager stager, DesiredState desired, CancellationToken cancellationToken)
    {
        var layers = await store.ListLayersAsync();
        var pointer = await store.GetPointerAsync();
        if (layers.Count == 0 && pointer is null && _believedLayers)
        {
            LogRedisDataLost();
            _believedLayers = false;
            status.RedisDataLost = true;
            status.SetLive(null);
            status.SetHeld([]);
            await ReaderLibrary.LoadAsync(redis);
            await reporter.SendAsync(cancellationToken);
        }

        _believedLayers |= layers.Count > 0;
        status.SetLive(pointer);
        if (armed.Order is { } holding && desired.Live?.Generation != holding.Live.Generation)
        {
            // The scheduled switch was called off (or replaced): nothing may fire at its time.
            await armed.DisarmAsync(store);
        }

        // A switch to a release already held (a rollback to a hot release, the barrier of a publication) is the
        // latency readers wait on: do it before any staging or retention work.
        var heldBefore = HeldReleases.Compute(desired.Hold, layers);
        if (desired.Live is { } early && heldBefore.Any(h => h.ReleaseId == early.ReleaseId)
            && (pointer is null || pointer.Generation < early.Generation))
        {
            status.SetHeld(heldBefore);
            await SwitchAsync(store, desired, heldBefore, early, retain: false);
        }

        await store.FinishRetirementAsync();
        await StageAsync(store, stager, desired, heldBefore, cancellationToken);

        layers = await store.ListLayersAsync();
        var held = HeldReleases.Compute(desired.Hold, layers);
        status.SetHeld(held);
        if (held.Count == desired.Hold.Count)
        {
            status.RedisDataLost = false;
        }

        if (desired.Live is { } order)
        {
            await SwitchAsync(store, desired, held, order, retain: true);
        }

        await reporter.SendAsync(cancellationToken);
    }

    private async Task StageAsync(
        LayerStore store, LayerStager stager, DesiredState desired, IReadOnlyList<HeldRelease> heldBefore, CancellationToken cancellationToken)
    {
        var work = desired.Hold
            .SelectMany(m => m.Datasets.OrderBy(d => d.Key, StringComparer.Ordinal).Select(d => (Release: m.ReleaseId, Dataset: d.Key, Version: d.Value)))
            .ToList();
        if (await store.GetStagingAsync() is { } staging)
        {
            var resumable = work.FindIndex(w => !staging.Abandoning && w.Dataset == staging.Dataset && w.Version.Version == staging.Version);
            if (resumable < 0)
            {
                await store.AbandonAsync(staging);
            }
            else
            {
                // Resume what a previous run was writing before anything else would abandon it.
                var first = work[resumable];
                work.RemoveAt(resumable);
                work.Insert(0, first);
            }
        }

        var pending = new Dictionary<long, int>();
        foreach (var group in work.GroupBy(w => w.Release))
        {
            pending[group.Key] = group.Count();
        }

        foreach (var (release, dataset, version) in work)
        {
            await stager.StageAsync(release, dataset, version, cancellationToken);
            _believedLayers = true;

            // Reports go out when a release became held here, not for every release already held: with many agents,
            // needless reports queue on the publication's row lock and delay the switch.
            if (--pending[release] == 0 && heldBefore.All(h => h.ReleaseId != release))
            {
                status.SetHeld(HeldReleases.Compute(desired.Hold, await store.ListLayersAsync()));
                LogHeld(release);
                await reporter.SendAsync(cancellationToken);
            }
        }
    }

    private async Task SwitchAsync(LayerStore store, DesiredState desired, IReadOnlyList<HeldRelease> held, SwitchOrder order, bool retain)
    {
        var pointer = await store.GetPointerAsync();
        if (pointer is null || pointer.Generation < order.Generation)
        {
            var release = held.FirstOrDefault(h => h.ReleaseId == order.ReleaseId)
                ?? throw new InvalidOperationException($"Release {order.ReleaseId} is to go live but is not held here.");
            var manifest = desired.Hold.First(m => m.ReleaseId == order.ReleaseId);
            var versions = manifest.Datasets.ToDictionary(d => d.Key, d => d.Value.Version, StringComparer.Ordinal);
            // The watermarks tell readers which live changes the release shows (README, "Live changes").
            var watermarks = manifest.Datasets.ToDictionary(d => d.Key, d => d.Value.ChangeWatermark, StringComparer.Ordinal);
            if (order.SwitchAt is { } switchAt && switchAt > time.GetUtcNow())
            {
                // A scheduled activation: hold it and switch at its instant by this clock, reachable or not.
                await armed.ArmAsync(store, new ArmedOrder(switchAt, new LivePointer(order.ReleaseId, order.Generation, release.Layers, versions, switchAt, watermarks)),
                    CancellationToken.None);
                status.SetLive(pointer);
                return;
            }

            var stored = await store.SwitchAsync(new LivePointer(order.ReleaseId, order.Generation, release.Layers, versions, time.GetUtcNow(), watermarks));
            LogSwitched(order.ReleaseId, order.Generation, stored);
            pointer = await store.GetPointerAsync();
        }

        status.SetLive(pointer);
        if (retain && pointer is not null && pointer.Generation >= order.Generation)
        {
            // Steady state: keep every layer a release to hold can use (held or not yet) and the live ones; drop the rest.
            var layers = await store.ListLayersAsync();
            var keep = desired.Hold
                .SelectMany(m => m.Datasets.Select(d => HeldReleases.LayerFor(layers, d.Key, d.Value)))
                .OfType<LayerInfo>()
                .Select(l => (l.Dataset, l.Layer))
                .Concat(pointer.Layers.Select(l => (l.Key, l.Value)));
            var dropped = await store.RetainAsync(keep);
            if (dropped.Count > 0)
            {
                LogDropped(dropped.Count);
            }
        }
    }

    private async Task<AgentRegistered> RegisterAsync(CancellationToken cancellationToken)
    {
        var agent = options.Value;
        var registered = await RetryAsync(
            () => client.RegisterAsync(new AgentRegistration(agent.AgentId, agent.Environment, agent.Group), cancellationToken), cancellationToken);
        reporter.AgentId = registered.AgentId;
        LogRegistered(registered.AgentId, registered.Environment, registered.Group);
        return registered;
    }

    private async Task HeartbeatAsync(TimeSpan period, CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(period, time);
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken))
            {
                await reporter.SendAsync(cancellationToken);
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private async Task RetryAsync(Func<Task> action, CancellationToken cancellationToken) =>
        await RetryAsync(async () =>
        {
            await action();
            return true;
        }, cancellationToken);

    private async Task<T> RetryAsync<T>(Func<Task<T>> action, CancellationToken cancellationToken)
    {
        var backoff = new Backoff(time, TimeSpan.FromMilliseconds(500), TimeSpan.FromSeconds(30));
        while (true)
        {
            try
            {
                return await action();
            }
            catch (Exception exception) when (!cancellationToken.IsCancellationRequested)
            {
                status.SetError(exception.Message);
                LogStepFailed(exception);
                await Delay(backoff, cancellationToken);
            }
        }
    }

    private static async Task Delay(Backoff backoff, CancellationToken cancellationToken) => await backoff.WaitAsync(cancellationToken);

    [LoggerMessage(Level = LogLevel.Information, Message = "Registered as {AgentId} in {Environment}/{Group}")]
    private partial void LogRegistered(string agentId, string environment, string group);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Agent step failed; retrying with backoff")]
    private partial void LogStepFailed(Exception exception);

    [LoggerMessage(Level = LogLevel.Error, Message = "Redis lost its data (no layers, no pointer); staging again")]
    private partial void LogRedisDataLost();

    [LoggerMessage(Level = LogLevel.Information, Message = "Release {ReleaseId} is held")]
    private partial void LogHeld(long releaseId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Switch to release {ReleaseId} generation {Generation}: generation {Stored} is live")]
    private partial void LogSwitched(long releaseId, long generation, long stored);

    [LoggerMessage(Level = LogLevel.Information, Message = "Dropped {Count} layers out of retention")]
    private partial void LogDropped(int count);
}
