namespace Agent.Redis;

/// <summary>The Lua scripts of <see cref="LayerStore"/> (Redis/Scripts/*.lua, embedded); each file documents its contract.</summary>
internal static class LayerScripts
{
    public static readonly string Begin = Load("begin");
    public static readonly string ReadBase = Load("read_base");
    public static readonly string ApplyChunk = Load("apply_chunk");
    public static readonly string Complete = Load("complete");
    public static readonly string Abandon = Load("abandon");
    public static readonly string Switch = Load("switch");
    public static readonly string Retire = Load("retire");
    public static readonly string Compact = Load("compact");
    public static readonly string FinishRetire = Load("finish_retire");

    private static string Load(string name)
    {
        using var stream = typeof(LayerScripts).Assembly.GetManifestResourceStream($"Agent.Scripts.{name}.lua")
            ?? throw new InvalidOperationException($"The embedded script {name}.lua is missing.");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }
}
