using System.Text.Json;
using Npgsql;

namespace ControlPlane.Datasets;

/// <summary>Reads and writes rows of <c>dataset_versions</c> inside an import's transaction.</summary>
internal static class VersionState
{
    public const string Columns =
        "version, kind, base_version, records, content_hash, hash_sum, added, changed, removed, created_at, created_by, note, warnings, change_watermark";

    internal static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public static async Task<(VersionInfo Info, byte[] HashSum)?> LatestAsync(
        NpgsqlConnection connection, DatasetDefinition dataset, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(
            $"SELECT {Columns} FROM dataset_versions WHERE dataset_id = @dataset ORDER BY version DESC LIMIT 1", connection);
        command.Parameters.AddWithValue("dataset", dataset.Id);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? (Read(reader, dataset), (byte[])reader["hash_sum"]) : null;
    }

    public static async Task<bool> ExistsAsync(NpgsqlConnection connection, DatasetDefinition dataset, int version, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(
            "SELECT EXISTS (SELECT 1 FROM dataset_versions WHERE dataset_id = @dataset AND version = @version)", connection);
        command.Parameters.AddWithValue("dataset", dataset.Id);
        command.Parameters.AddWithValue("version", version);
        return (bool)(await command.ExecuteScalarAsync(cancellationToken))!;
    }

    public static VersionInfo Read(NpgsqlDataReader reader, DatasetDefinition dataset) => new(
        dataset.Name,
        reader.GetInt32(0),
        reader.GetString(1),
        reader.IsDBNull(2) ? null : reader.GetInt32(2),
        reader.GetInt64(3),
        reader.GetString(4),
        reader.GetInt64(6),
        reader.GetInt64(7),
        reader.GetInt64(8),
        reader.GetFieldValue<DateTimeOffset>(9),
        reader.GetString(10),
        reader.IsDBNull(11) ? null : reader.GetString(11),
        JsonSerializer.Deserialize<List<GuardrailWarning>>(reader.GetString(12), Json) ?? [],
        reader.FieldCount > 14 ? reader.GetString(14) : "warm")
    {
        ChangeWatermark = reader.GetInt64(13),
    };

    public static async Task InsertAsync(
        NpgsqlConnection connection, DatasetDefinition dataset, VersionInfo version, byte[] hashSum, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(
            $"""
            INSERT INTO dataset_versions (dataset_id, {Columns})
            VALUES (@dataset, @version, @kind, @base, @records, @hash, @sum, @added, @changed, @removed, @createdAt, @createdBy, @note, @warnings::jsonb, @watermark)
            """, connection);
        command.Parameters.AddWithValue("dataset", dataset.Id);
        command.Parameters.AddWithValue("version", version.Version);
        command.Parameters.AddWithValue("kind", version.Kind);
        command.Parameters.AddWithValue("base", (object?)version.BaseVersion ?? DBNull.Value);
        command.Parameters.AddWithValue("records", version.Records);
        command.Parameters.AddWithValue("hash", version.ContentHash);
        command.Parameters.AddWithValue("sum", hashSum);
        command.Parameters.AddWithValue("added", version.Added);
        command.Parameters.AddWithValue("changed", version.Changed);
        command.Parameters.AddWithValue("removed", version.Removed);
        command.Parameters.AddWithValue("createdAt", version.CreatedAt);
        command.Parameters.AddWithValue("createdBy", version.CreatedBy);
        command.Parameters.AddWithValue("note", (object?)version.Note ?? DBNull.Value);
        command.Parameters.AddWithValue("warnings", JsonSerializer.Serialize(version.Warnings, Json));
        command.Parameters.AddWithValue("watermark", version.ChangeWatermark);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }
}
