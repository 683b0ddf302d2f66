namespace ControlPlane.Reader;

/// <summary>
/// All Redis access of the reader and the agent goes through this, so the client library can be swapped by
/// implementing two methods. Arguments and results are strings: every value we store is UTF-8 text.
/// </summary>
public interface IRedisClient
{
    /// <summary>Runs a Lua script (EVALSHA, falling back to EVAL) with the given keys and arguments.</summary>
    Task<RedisReply> EvalAsync(string script, IReadOnlyList<string> keys, IReadOnlyList<string> args);

    /// <summary>Runs any command, e.g. <c>FUNCTION LOAD</c>, <c>FCALL</c>, <c>GET</c>.</summary>
    Task<RedisReply> ExecuteAsync(string command, params IReadOnlyList<string> args);
}

/// <summary>
/// A reply read the way RESP replies are read in practice: the caller knows the shape it asked for.
/// </summary>
public abstract class RedisReply
{
    public abstract bool IsNull { get; }

    /// <summary>A bulk or simple string (an integer reply as its decimal text); null for a nil reply.</summary>
    public abstract string? AsString();

    public abstract long AsInt64();

    public abstract IReadOnlyList<RedisReply> AsArray();
}
