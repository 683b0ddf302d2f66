using System.Text.Json;
using ControlPlane.Client;

namespace ControlPlane.Cli.Output;

public static class CliJson
{
    public static JsonSerializerOptions Options { get; } = new(ClientJson.Options) { WriteIndented = true };

    /// <summary>Writes one JSON document on stdout, the whole output of a command run with --output json.</summary>
    public static Task WriteAsync<T>(TextWriter output, T value) => output.WriteLineAsync(JsonSerializer.Serialize(value, Options));
}
