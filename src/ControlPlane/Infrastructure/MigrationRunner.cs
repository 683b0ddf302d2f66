using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using Npgsql;

namespace ControlPlane.Infrastructure;

/// <summary>
/// Applies the numbered plain-SQL files of <c>migrations/</c> once each, in order, recording a checksum.
/// An advisory lock makes concurrent starts safe; a changed file that was already applied is an error.
/// </summary>
public sealed partial class MigrationRunner(NpgsqlDataSource dataSource, ILogger<MigrationRunner> logger)
{
    // Arbitrary but fixed: the advisory lock key all control plane instances agree on for migrations.
    private const long MigrationLockKey = 0x436f6e74_726f6c31;

    public static string DefaultDirectory => Path.Combine(AppContext.BaseDirectory, "migrations");

    public async Task<IReadOnlyList<string>> ApplyAsync(string directory, CancellationToken cancellationToken)
    {
        var files = ReadMigrationFiles(directory);
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using (var lockCommand = new NpgsqlCommand("SELECT pg_advisory_lock(@key)", connection))
        {
            lockCommand.Parameters.AddWithValue("key", MigrationLockKey);
            await lockCommand.ExecuteNonQueryAsync(cancellationToken);
        }

        try
        {
            await using (var create = new NpgsqlCommand(
                """
                CREATE TABLE IF NOT EXISTS schema_migrations (
                    id         integer PRIMARY KEY,
                    name       text NOT NULL,
                    checksum   text NOT NULL,
                    applied_at timestamptz NOT NULL DEFAULT now()
                )
                """, connection))
            {
                await create.ExecuteNonQueryAsync(cancellationToken);
            }

            var applied = new Dictionary<int, (string Name, string Checksum)>();
            await using (var select = new NpgsqlCommand("SELECT id, name, checksum FROM schema_migrations", connection))
            await using (var reader = await select.ExecuteReaderAsync(cancellationToken))
            {
                while (await reader.ReadAsync(cancellationToken))
                {
                    applied[reader.GetInt32(0)] = (reader.GetString(1), reader.GetString(2));
                }
            }

            var newlyApplied = new List<string>();
            foreach (var file in files)
            {
                if (applied.TryGetValue(file.Id, out var existing))
                {
                    if (existing.Checksum != file.Checksum)
                    {
                        throw new MigrationException(
                            $"Migration {file.Name} was changed after it was applied (recorded checksum {existing.Checksum}, file {file.Checksum}). Add a new migration instead.");
                    }

                    continue;
                }

                await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
                await using (var apply = new NpgsqlCommand(file.Sql, connection, transaction))
                {
                    await apply.ExecuteNonQueryAsync(cancellationToken);
                }

                await using (var record = new NpgsqlCommand(
                    "INSERT INTO schema_migrations (id, name, checksum) VALUES (@id, @name, @checksum)", connection, transaction))
                {
                    record.Parameters.AddWithValue("id", file.Id);
                    record.Parameters.AddWithValue("name", file.Name);
                    record.Parameters.AddWithValue("checksum", file.Checksum);
                    await record.ExecuteNonQueryAsync(cancellationToken);
                }

                await transaction.CommitAsync(cancellationToken);
                LogApplied(file.Name);
                newlyApplied.Add(file.Name);
            }

            return newlyApplied;
        }
        finally
        {
            await using var unlock = new NpgsqlCommand("SELECT pg_advisory_unlock(@key)", connection);
            unlock.Parameters.AddWithValue("key", MigrationLockKey);
            await unlock.ExecuteNonQueryAsync(CancellationToken.None);
        }
    }

    internal static IReadOnlyList<MigrationFile> ReadMigrationFiles(string directory)
    {
        if (!Directory.Exists(directory))
        {
            throw new MigrationException($"Migrations folder '{directory}' does not exist.");
        }

        var files = new List<MigrationFile>();
        foreach (var path in Directory.EnumerateFiles(directory, "*.sql"))
        {
            var name = Path.GetFileName(path);
            var match = FileNamePattern().Match(name);
            if (!match.Success)
            {
                throw new MigrationException($"Migration file '{name}' must be named NNNN_description.sql.");
            }

            var sql = File.ReadAllText(path);
            var checksum = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(sql.ReplaceLineEndings("\n"))));
            files.Add(new MigrationFile(int.Parse(match.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture), name, sql, checksum));
        }

        var duplicate = files.GroupBy(f => f.Id).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null)
        {
            throw new MigrationException($"Two migration files share number {duplicate.Key}: {string.Join(", ", duplicate.Select(f => f.Name))}.");
        }

        return [.. files.OrderBy(f => f.Id)];
    }

    [GeneratedRegex(@"^(\d+)_[A-Za-z0-9_\-]+\.sql$")]
    private static partial Regex FileNamePattern();

    [LoggerMessage(Level = LogLevel.Information, Message = "Applied migration {MigrationName}")]
    private partial void LogApplied(string migrationName);

    internal sealed record MigrationFile(int Id, string Name, string Sql, string Checksum);
}

public sealed class MigrationException(string message) : Exception(message);
