namespace Agent.Redis;

/// <summary>Another layer is being written, or retired layers are still being compacted.</summary>
public sealed class StagingBusyException(string message) : Exception(message);
