using ControlPlane.Datasets;
using ControlPlane.Infrastructure;
using Npgsql;

namespace ControlPlane.Tiers;

/// <summary>
/// Before a publication starts, every chunk of every cold version it names is checked against its manifest, so a
/// damaged archive fails the publish request (naming version and chunk) before any agent stages anything.
/// </summary>
public sealed class ColdReleaseCheck(ColdArchive archive)
{
    public async Task VerifyAsync(NpgsqlConnection connection, IReadOnlyDictionary<string, int> versions, CancellationToken cancellationToken)
    {
        foreach (var (name, version) in versions)
        {
            if (DatasetDefinition.Find(name) is not { } dataset)
            {
                continue;
            }

            // FOR SHARE orders this against the archive job's FOR UPDATE of the same row: a version cannot go cold
            // between this check and the publication that names it being recorded.
            var tier = await connection.ScalarAsync<string>(
                "SELECT tier FROM dataset_versions WHERE dataset_id = @dataset AND version = @version FOR SHARE", cancellationToken,
                ("dataset", dataset.Id), ("version", version));
            if (tier is "cold" or "expired")
            {
                var manifest = await archive.ManifestAsync(name, version, cancellationToken);
                await archive.VerifyChecksumsAsync(manifest, cancellationToken);
            }
        }
    }
}
