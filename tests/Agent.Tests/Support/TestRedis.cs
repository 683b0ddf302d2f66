using ControlPlane.Reader;
using StackExchange.Redis;

namespace Agent.Tests.Support;

/// <summary>The Redis that ./test starts; tests share one connection and keep apart by environment name.</summary>
public static class TestRedis
{
    public const string Variable = "CONTROLPLANE_TEST_REDIS";

    private static readonly Lazy<ConnectionMultiplexer> Connection = new(() => StackExchangeRedisClient.Connect(Address));

    /// <summary>host:port of the server.</summary>
    public static string Address =>
        Environment.GetEnvironmentVariable(Variable) is { Length: > 0 } value
            ? value
            : throw new InvalidOperationException(
                $"{Variable} is not set. These tests need a real Redis 7: run them with ./test from the repository root, " +
                "which starts PostgreSQL and Redis and sets the variables.");

    public static IRedisClient Client() => new StackExchangeRedisClient(Connection.Value.GetDatabase());
}
