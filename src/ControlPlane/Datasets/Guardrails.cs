using System.Globalization;
using Microsoft.Extensions.Options;
using Npgsql;

namespace ControlPlane.Datasets;

/// <summary>
/// Computes the advisory warnings of a new version inside its import transaction, from the rows the
/// version opened and closed, so the work follows the size of the change. The queries look rows up per SKU
/// through the primary key, so a planner working from stale statistics cannot turn them into a cross join.
/// </summary>
public sealed class Guardrails(IOptions<GuardrailOptions> options)
{
    public async Task<IReadOnlyList<GuardrailWarning>> EvaluateAsync(
        NpgsqlConnection connection, DatasetDefinition dataset, int version, long records, long openedRecords, VersionInfo? previous,
        CancellationToken cancellationToken)
    {
        var settings = options.Value;
        var warnings = new List<GuardrailWarning>();
        if (previous is { Records: > 0 })
        {
            var percent = Math.Abs(records - previous.Records) * 100.0 / previous.Records;
            if (percent > settings.MaxRecordCountChangePercent)
            {
                warnings.Add(new GuardrailWarning(
                    "record-count-change",
                    string.Create(CultureInfo.InvariantCulture,
                        $"record count changed by {percent:0.##}% ({previous.Records} to {records}); the limit is {settings.MaxRecordCountChangePercent}%"),
                    Math.Abs(records - previous.Records),
                    []));
            }
        }

        if (dataset == DatasetDefinition.Price && previous is not null)
        {
            var (count, examples) = await CountAsync(connection,
                """
                SELECT o.sku FROM records_price o
                CROSS JOIN LATERAL (
                    SELECT p.data, p.to_version FROM records_price p
                    WHERE p.dataset_id = 1 AND p.sku = o.sku AND p.from_version < o.from_version
                    ORDER BY p.from_version DESC LIMIT 1) c
                WHERE o.dataset_id = 1 AND o.from_version = @version AND o.from_version > 1 AND c.to_version = @version
                  AND abs((o.data::jsonb->>'amount')::numeric - (c.data::jsonb->>'amount')::numeric) * 100
                      > @percent * (c.data::jsonb->>'amount')::numeric
                """, version, settings, cancellationToken);
            if (count > 0)
            {
                warnings.Add(new GuardrailWarning("price-moved",
                    $"{count} prices moved by more than {settings.MaxPriceMovePercent.ToString(CultureInfo.InvariantCulture)}% against version {previous.Version}",
                    count, examples));
            }
        }

        if (dataset == DatasetDefinition.Price)
        {
            // Version 1 rows are outside the partial index records_opened; they are the whole partition anyway.
            var opened = version > 1 ? "AND o.from_version > 1" : "";
            // With no product data at all every new price lacks it: say so without an anti-join over the version.
            var hasProducts = await ScalarAsync<bool>(connection,
                "SELECT EXISTS (SELECT 1 FROM records_product WHERE dataset_id = 3 AND to_version IS NULL)", cancellationToken);
            var (count, examples) = hasProducts
                ? await CountAsync(connection,
                    $"""
                    SELECT o.sku FROM records_price o
                    WHERE o.dataset_id = 1 AND o.from_version = @version {opened}
                      AND NOT EXISTS (SELECT 1 FROM records_product p WHERE p.dataset_id = 3 AND p.sku = o.sku AND p.to_version IS NULL)
                    """, version, settings, cancellationToken)
                : (openedRecords, await ExamplesAsync(connection,
                    $"SELECT o.sku FROM records_price o WHERE o.dataset_id = 1 AND o.from_version = @version {opened}", version, settings, cancellationToken));
            if (count > 0)
            {
                warnings.Add(new GuardrailWarning("price-without-product",
                    $"{count} SKUs of this price version have no record in the latest product version", count, examples));
            }
        }
        else if (dataset == DatasetDefinition.Product && previous is not null)
        {
            var (count, examples) = await CountAsync(connection,
                """
                SELECT c.sku FROM records_product c
                WHERE c.dataset_id = 3 AND c.to_version = @version
                  AND NOT EXISTS (SELECT 1 FROM records_product n WHERE n.dataset_id = 3 AND n.sku = c.sku AND n.to_version IS NULL)
                  AND EXISTS (SELECT 1 FROM records_price p WHERE p.dataset_id = 1 AND p.sku = c.sku AND p.to_version IS NULL)
                """, version, settings, cancellationToken);
            if (count > 0)
            {
                warnings.Add(new GuardrailWarning("price-without-product",
                    $"{count} SKUs removed by this product version still have a price in the latest price version", count, examples));
            }
        }

        return warnings;
    }

    private static async Task<T> ScalarAsync<T>(NpgsqlConnection connection, string sql, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        return (T)(await command.ExecuteScalarAsync(cancellationToken))!;
    }

    private static async Task<IReadOnlyList<string>> ExamplesAsync(
        NpgsqlConnection connection, string skuQuery, int version, GuardrailOptions settings, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand($"SELECT ARRAY(SELECT sku FROM ({skuQuery}) AS hits ORDER BY sku LIMIT @examples)", connection);
        command.Parameters.AddWithValue("version", version);
        command.Parameters.AddWithValue("examples", settings.ExampleCount);
        return (string[])(await command.ExecuteScalarAsync(cancellationToken))!;
    }

    private static async Task<(long Count, IReadOnlyList<string> Examples)> CountAsync(
        NpgsqlConnection connection, string skuQuery, int version, GuardrailOptions settings, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(
            $"WITH hits AS ({skuQuery}) SELECT (SELECT count(*) FROM hits), ARRAY(SELECT sku FROM hits ORDER BY sku LIMIT @examples)", connection);
        command.Parameters.AddWithValue("version", version);
        command.Parameters.AddWithValue("percent", (decimal)settings.MaxPriceMovePercent);
        command.Parameters.AddWithValue("examples", settings.ExampleCount);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        var count = reader.GetInt64(0);
        return (count, count == 0 || reader.IsDBNull(1) ? [] : reader.GetFieldValue<string[]>(1));
    }
}
