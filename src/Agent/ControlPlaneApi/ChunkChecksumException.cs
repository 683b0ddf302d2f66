namespace Agent.ControlPlaneApi;

/// <summary>A chunk's body does not match its X-Chunk-Sha256 header (or has none): it is not applied.</summary>
public sealed class ChunkChecksumException(string message) : Exception(message);
