using Agent.Redis;
using ControlPlane.Reader;

namespace Agent.Tests.Support;

/// <summary>A fresh environment name in the test Redis (keys cp:{name}:*), with the cp functions loaded; its keys are deleted on dispose.</summary>
public sealed class TestEnvironment : IAsyncDisposable
{
    private const string DeleteKeys = """
        local keys = redis.call('KEYS', ARGV[1])
        for i = 1, #keys, 500 do
          redis.call('DEL', unpack(keys, i, math.min(i + 499, #keys)))
        end
        return #keys
        """;

    private TestEnvironment(string name, IRedisClient redis)
    {
        Name = name;
        Redis = redis;
        Store = new LayerStore(redis, name);
        Reader = new PromotionDataReader(redis, name);
    }

    public string Name { get; }

    public IRedisClient Redis { get; }

    public LayerStore Store { get; }

    public PromotionDataReader Reader { get; }

    public static async Task<TestEnvironment> CreateAsync()
    {
        var environment = new TestEnvironment("t" + Guid.NewGuid().ToString("N")[..12], TestRedis.Client());
        await ReaderLibrary.LoadAsync(environment.Redis);
        return environment;
    }

    /// <summary>A new store over the same Redis, as a restarted agent would have.</summary>
    public LayerStore NewStore() => new(TestRedis.Client(), Name);

    /// <summary>Every key of the environment and its content, for comparing two environments or two moments.</summary>
    public async Task<SortedDictionary<string, string>> DumpAsync()
    {
        const string dump = """
            local out = {}
            for _, key in ipairs(redis.call('KEYS', ARGV[1])) do
              local kind = redis.call('TYPE', key).ok
              local value
              if kind == 'zset' then value = redis.call('ZRANGE', key, 0, -1, 'WITHSCORES')
              elseif kind == 'hash' then value = redis.call('HGETALL', key)
              elseif kind == 'set' then value = redis.call('SMEMBERS', key); table.sort(value)
              else value = { redis.call('GET', key) } end
              out[#out + 1] = string.sub(key, #ARGV[1])
              out[#out + 1] = kind .. ' ' .. table.concat(value, '\n')
            end
            return out
            """;
        var flat = (await Redis.EvalAsync(dump, [], [$"cp:{Name}:*"])).AsArray();
        var result = new SortedDictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i < flat.Count; i += 2)
        {
            result[flat[i].AsString()!] = flat[i + 1].AsString()!;
        }

        return result;
    }

    public async ValueTask DisposeAsync() => await Redis.EvalAsync(DeleteKeys, [], [$"cp:{Name}:*"]);
}
