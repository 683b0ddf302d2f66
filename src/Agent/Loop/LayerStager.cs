using Agent.ControlPlaneApi;
using Agent.Redis;
using ControlPlane.Contracts;

namespace Agent.Loop;

/// <summary>
/// Brings one dataset version into Redis: reuses a complete layer that represents it, or writes a new layer on top
/// of the dataset's newest complete layer from the changes since that layer's version (every record when none).
/// </summary>
public sealed partial class LayerStager(
    LayerStore store, ControlPlaneClient client, AgentStatus status, int chunkSize, Func<Task> progressed, ILogger logger)
{
    public async Task<LayerInfo> StageAsync(long releaseId, string dataset, DatasetVersionRef target, CancellationToken cancellationToken)
    {
        var layers = await store.ListLayersAsync();
        if (HeldReleases.LayerFor(layers, dataset, target) is { } existing)
        {
            return existing;
        }

        // Always on the newest layer: members above the base would show through, and a layer without a base
        // would let older members of SKUs the version lacks show through. A layer that does not verify is
        // abandoned and reported; writing the version whole on a dataset that has layers would not be safe.
        var baseLayer = layers.Where(l => l.Dataset == dataset).MaxBy(l => l.Layer);
        return await WriteAsync(releaseId, dataset, target, baseLayer, cancellationToken);
    }

    private async Task<LayerInfo> WriteAsync(long releaseId, string dataset, DatasetVersionRef target, LayerInfo? baseLayer, CancellationToken cancellationToken)
    {
        var staging = await BeginAsync(dataset, target.Version, baseLayer);
        LogStaging(dataset, target.Version, staging.Layer, baseLayer?.Layer, staging.Cursor is not null);
        long lines = 0, bytes = 0;
        try
        {
            // The next chunk is fetched while the current one is written, so the control plane's reads and the
            // Redis writes overlap; the cursor in Redis still moves strictly chunk by chunk.
            var fetch = client.GetChangesAsync(dataset, target.Version, baseLayer?.Version, staging.Cursor, chunkSize, cancellationToken);
            while (true)
            {
                var chunk = await fetch;
                if (chunk.NextAfter is not null && chunk.Lines.Count > 0)
                {
                    fetch = client.GetChangesAsync(dataset, target.Version, baseLayer?.Version, chunk.NextAfter, chunkSize, cancellationToken);
                }

                staging = await store.ApplyChunkAsync(staging, chunk.Lines, chunk.NextAfter);
                lines += chunk.Lines.Count;
                bytes += chunk.Bytes;
                // A first layer's count is its progress; an overlay's size is unknown until its last chunk (total 0).
                status.SetStaging(new StagingProgress(
                    releaseId, dataset, target.Version, baseLayer is null ? staging.Count : lines, baseLayer is null ? target.Records : 0, bytes));
                await progressed();
                if (chunk.NextAfter is null || chunk.Lines.Count == 0)
                {
                    break;
                }
            }

            try
            {
                var layer = await store.CompleteAsync(staging, target);
                LogStaged(dataset, target.Version, layer.Layer, layer.Records);
                return layer;
            }
            catch (LayerVerificationException)
            {
                await store.AbandonAsync(staging);
                throw;
            }
        }
        finally
        {
            status.SetStaging(null);
        }
    }

    private async Task<StagingState> BeginAsync(string dataset, int version, LayerInfo? baseLayer)
    {
        try
        {
            return await store.BeginAsync(dataset, version, baseLayer);
        }
        catch (StagingBusyException)
        {
            // Whatever was being written is not this: only one layer is written at a time.
            if (await store.GetStagingAsync() is { } other)
            {
                LogAbandoning(other.Dataset, other.Version, other.Layer);
                await store.AbandonAsync(other);
            }

            await store.FinishRetirementAsync();
            return await store.BeginAsync(dataset, version, baseLayer);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Staging {Dataset} v{Version} as layer {Layer} on base {BaseLayer} (resumed: {Resumed})")]
    private partial void LogStaging(string dataset, int version, int layer, int? baseLayer, bool resumed);

    [LoggerMessage(Level = LogLevel.Information, Message = "Staged {Dataset} v{Version} as layer {Layer}: {Records} records verified")]
    private partial void LogStaged(string dataset, int version, int layer, long records);

    [LoggerMessage(Level = LogLevel.Information, Message = "Abandoning layer {Layer} ({Dataset} v{Version}): it is no longer wanted")]
    private partial void LogAbandoning(string dataset, int version, int layer);
}
