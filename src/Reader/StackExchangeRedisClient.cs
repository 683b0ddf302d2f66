using StackExchange.Redis;

namespace ControlPlane.Reader;

/// <summary><see cref="IRedisClient"/> over StackExchange.Redis (1.2.x: RESP2, ad-hoc commands through Execute).</summary>
public sealed class StackExchangeRedisClient(IDatabase database) : IRedisClient
{
    /// <summary>
    /// Connects without failing when Redis is not up yet: the multiplexer keeps retrying in the background,
    /// and commands fail until it is reachable, which callers handle like any other Redis error.
    /// </summary>
    public static ConnectionMultiplexer Connect(string configuration)
    {
        var options = ConfigurationOptions.Parse(configuration);
        options.AbortOnConnectFail = false;
        return ConnectionMultiplexer.Connect(options);
    }

    public async Task<RedisReply> EvalAsync(string script, IReadOnlyList<string> keys, IReadOnlyList<string> args)
    {
        var redisKeys = new RedisKey[keys.Count];
        for (var i = 0; i < keys.Count; i++)
        {
            redisKeys[i] = keys[i];
        }

        var values = new RedisValue[args.Count];
        for (var i = 0; i < args.Count; i++)
        {
            values[i] = args[i];
        }

        return new Reply(await database.ScriptEvaluateAsync(script, redisKeys, values));
    }

    public async Task<RedisReply> ExecuteAsync(string command, params IReadOnlyList<string> args)
    {
        var objects = new object[args.Count];
        for (var i = 0; i < args.Count; i++)
        {
            objects[i] = args[i];
        }

        return new Reply(await database.ExecuteAsync(command, objects));
    }

    private sealed class Reply(RedisResult result) : RedisReply
    {
        public override bool IsNull => result.IsNull;

        public override string? AsString() => result.IsNull ? null : (string?)result;

        public override long AsInt64() => (long)result;

        public override IReadOnlyList<RedisReply> AsArray()
        {
            var items = (RedisResult[]?)result ?? [];
            var replies = new RedisReply[items.Length];
            for (var i = 0; i < items.Length; i++)
            {
                replies[i] = new Reply(items[i]);
            }

            return replies;
        }
    }
}
