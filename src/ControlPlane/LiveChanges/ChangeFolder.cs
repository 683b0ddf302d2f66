using ControlPlane.Datasets;
using ControlPlane.Infrastructure;
using Microsoft.Extensions.Options;
using Npgsql;

namespace ControlPlane.LiveChanges;

/// <summary>
/// Folds each dataset's change log into a new version when enough changes (or old enough ones) are not in a version, and
/// prunes folded changes past their audit time. Safe on several instances at once: folds are imports, serialized by the
/// dataset's lock, and a fold with nothing pending creates nothing (I7).
/// </summary>
public sealed partial class ChangeFolder(
    NpgsqlDataSource dataSource, ImportService imports, IOptions<LiveChangesOptions> options, TimeProvider time, ILogger<ChangeFolder> logger)
    : BackgroundService
{
    public const string Actor = "system:fold";

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!options.Value.AutoFold)
        {
            return;
        }

        using var timer = new PeriodicTimer(options.Value.FoldCheckInterval, time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                foreach (var dataset in DatasetDefinition.All)
                {
                    try
                    {
                        await FoldIfDueAsync(dataset, stoppingToken);
                        await PruneAsync(dataset, stoppingToken);
                    }
                    catch (Exception exception) when (exception is NpgsqlException or TimeoutException)
                    {
                        LogFoldFailed(dataset.Name, exception);
                    }
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    /// <summary>Folds when the unfolded changes reach Changes:FoldAfterChanges or the oldest is Changes:FoldAfterAge old.</summary>
    public async Task<VersionInfo?> FoldIfDueAsync(DatasetDefinition dataset, CancellationToken cancellationToken)
    {
        long unfolded;
        DateTimeOffset? oldest;
        await using (var connection = await dataSource.OpenConnectionAsync(cancellationToken))
        await using (var command = connection.Command(
            "SELECT count(*), min(accepted_at) FROM changes WHERE dataset_id = @dataset AND folded_into IS NULL", ("dataset", dataset.Id)))
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            await reader.ReadAsync(cancellationToken);
            unfolded = reader.GetInt64(0);
            oldest = reader.GetNullable<DateTimeOffset>(1);
        }

        var settings = options.Value;
        if (unfolded == 0 || (unfolded < settings.FoldAfterChanges && time.GetUtcNow() - oldest!.Value < settings.FoldAfterAge))
        {
            return null;
        }

        var outcome = await imports.FoldAsync(dataset, Actor, $"automatic fold of {unfolded} live changes", cancellationToken);
        if (outcome is ImportOutcome.Created created)
        {
            LogFolded(dataset.Name, unfolded, created.Version.Version, created.Version.ChangeWatermark);
            return created.Version;
        }

        return null;
    }

    /// <summary>
    /// Removes folded changes older than Changes:KeepFoldedFor, except the newest change of each SKU (an agent starting from
    /// an empty Redis replays it for releases whose versions are older than the change), and the batches left empty.
    /// </summary>
    public async Task<int> PruneAsync(DatasetDefinition dataset, CancellationToken cancellationToken)
    {
        var cutoff = time.GetUtcNow() - options.Value.KeepFoldedFor;
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var pruned = await connection.ExecuteAsync(
            """
            DELETE FROM changes c WHERE c.dataset_id = @dataset AND c.folded_into IS NOT NULL AND c.accepted_at <= @cutoff
              AND EXISTS (SELECT 1 FROM changes n WHERE n.dataset_id = c.dataset_id AND n.sku = c.sku AND n.seq > c.seq)
            """, cancellationToken, ("dataset", dataset.Id), ("cutoff", cutoff));
        await connection.ExecuteAsync(
            """
            DELETE FROM change_batches b WHERE b.dataset_id = @dataset AND b.accepted_at <= @cutoff
              AND NOT EXISTS (SELECT 1 FROM changes c WHERE c.batch_id = b.id)
            """, cancellationToken, ("dataset", dataset.Id), ("cutoff", cutoff));
        if (pruned > 0)
        {
            LogPruned(dataset.Name, pruned);
        }

        return pruned;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Folded {Count} live changes of {Dataset} into version {Version} (watermark {Watermark})")]
    private partial void LogFolded(string dataset, long count, int version, long watermark);

    [LoggerMessage(Level = LogLevel.Information, Message = "Pruned {Count} folded changes of {Dataset}")]
    private partial void LogPruned(string dataset, int count);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Folding the change log of {Dataset} failed; retrying at the next check")]
    private partial void LogFoldFailed(string dataset, Exception exception);
}
