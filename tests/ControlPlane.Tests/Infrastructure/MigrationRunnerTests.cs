using ControlPlane.Infrastructure;
using ControlPlane.Tests.Support;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace ControlPlane.Tests.Infrastructure;

/// <summary>Each test migrates a database of its own, created empty.</summary>
public sealed class MigrationRunnerTests : IAsyncLifetime
{
    private TestDatabase _database = null!;
    private NpgsqlDataSource _dataSource = null!;

    public async Task InitializeAsync()
    {
        _database = await TestDatabase.CreateAsync();
        _dataSource = NpgsqlDataSource.Create(_database.ConnectionString);
    }

    public async Task DisposeAsync()
    {
        await _dataSource.DisposeAsync();
        await _database.DisposeAsync();
    }

    [Fact]
    public async Task Applying_twice_applies_every_migration_once_and_nothing_the_second_time()
    {
        var runner = NewRunner();
        var files = Directory.GetFiles(MigrationRunner.DefaultDirectory, "*.sql").Select(f => Path.GetFileName(f)).Order(StringComparer.Ordinal).ToList();
        Assert.NotEmpty(files);

        var first = await runner.ApplyAsync(MigrationRunner.DefaultDirectory, CancellationToken.None);
        var second = await runner.ApplyAsync(MigrationRunner.DefaultDirectory, CancellationToken.None);

        Assert.Equal(files, first);
        Assert.Empty(second);
        Assert.Equal(files.Count, await _database.ScalarAsync<long>("SELECT count(*) FROM schema_migrations"));
        Assert.Equal(3, await _database.ScalarAsync<long>("SELECT count(*) FROM datasets"));
    }

    [Fact]
    public async Task A_changed_migration_that_was_already_applied_is_refused()
    {
        var directory = CopyMigrations();
        try
        {
            await NewRunner().ApplyAsync(directory, CancellationToken.None);
            var file = Directory.GetFiles(directory, "0001_*.sql").Single();
            await File.AppendAllTextAsync(file, "\n-- edited after it was applied\n");

            var error = await Assert.ThrowsAsync<MigrationException>(() => NewRunner().ApplyAsync(directory, CancellationToken.None));

            Assert.Contains(Path.GetFileName(file), error.Message, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public async Task A_new_migration_file_is_applied_after_the_ones_already_applied()
    {
        var directory = CopyMigrations();
        try
        {
            await NewRunner().ApplyAsync(directory, CancellationToken.None);
            await File.WriteAllTextAsync(Path.Combine(directory, "9999_test_extra.sql"), "CREATE TABLE test_extra (id int);");

            var applied = await NewRunner().ApplyAsync(directory, CancellationToken.None);

            Assert.Equal(["9999_test_extra.sql"], applied);
            Assert.Equal(0, await _database.ScalarAsync<long>("SELECT count(*) FROM test_extra"));
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public async Task Two_runners_at_once_both_succeed_and_apply_each_migration_once()
    {
        // Separate data sources, as separate instances of the control plane would have.
        await using var sourceOne = NpgsqlDataSource.Create(_database.ConnectionString);
        await using var sourceTwo = NpgsqlDataSource.Create(_database.ConnectionString);
        var one = new MigrationRunner(sourceOne, NullLogger<MigrationRunner>.Instance);
        var two = new MigrationRunner(sourceTwo, NullLogger<MigrationRunner>.Instance);

        var results = await Task.WhenAll(
            Task.Run(() => one.ApplyAsync(MigrationRunner.DefaultDirectory, CancellationToken.None)),
            Task.Run(() => two.ApplyAsync(MigrationRunner.DefaultDirectory, CancellationToken.None)));

        var files = Directory.GetFiles(MigrationRunner.DefaultDirectory, "*.sql").Select(f => Path.GetFileName(f)).Order(StringComparer.Ordinal);
        Assert.Equal(files, results.SelectMany(r => r).Order(StringComparer.Ordinal));
        Assert.Equal(files.Count(), await _database.ScalarAsync<long>("SELECT count(*) FROM schema_migrations"));
    }

    private MigrationRunner NewRunner() => new(_dataSource, NullLogger<MigrationRunner>.Instance);

    private static string CopyMigrations()
    {
        var directory = Path.Combine(Path.GetTempPath(), "cp-migrations-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(directory);
        foreach (var file in Directory.GetFiles(MigrationRunner.DefaultDirectory, "*.sql"))
        {
            File.Copy(file, Path.Combine(directory, Path.GetFileName(file)));
        }

        return directory;
    }
}
