using Npgsql;

namespace ControlPlane.Tests.Support;

/// <summary>The PostgreSQL server that ./test starts; every test database is created on it.</summary>
public static class TestPostgres
{
    public const string Variable = "CONTROLPLANE_TEST_PG";

    /// <summary>Connection string of the server's `controlplane` database, with superuser rights.</summary>
    public static string AdminConnectionString =>
        Environment.GetEnvironmentVariable(Variable) is { Length: > 0 } value
            ? value
            : throw new InvalidOperationException(
                $"{Variable} is not set. These tests need a real PostgreSQL: run them with ./test from the repository root, " +
                "which starts PostgreSQL and Redis and sets the variables.");

    public static string ConnectionStringFor(string database) =>
        new NpgsqlConnectionStringBuilder(AdminConnectionString) { Database = database }.ConnectionString;
}
