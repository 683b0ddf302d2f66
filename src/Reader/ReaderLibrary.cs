namespace ControlPlane.Reader;

/// <summary>The Redis function library <c>cp</c> (cp.lua, embedded) that storefronts call to read promotion data.</summary>
public static class ReaderLibrary
{
    public const string Name = "cp";

    /// <summary>The library source, as <c>FUNCTION LOAD</c> takes it.</summary>
    public static string Source { get; } = ReadSource();

    /// <summary>
    /// Loads (or replaces) the library. Idempotent; agents call it at start so that a Redis restarted empty
    /// serves <c>cp_get</c> again. Functions are persisted with the data set (RDB/AOF) and replicated.
    /// </summary>
    public static async Task LoadAsync(IRedisClient redis) => await redis.ExecuteAsync("FUNCTION", "LOAD", "REPLACE", Source);

    private static string ReadSource()
    {
        using var stream = typeof(ReaderLibrary).Assembly.GetManifestResourceStream("ControlPlane.Reader.cp.lua")
            ?? throw new InvalidOperationException("The embedded cp.lua is missing.");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }
}
