using System.CommandLine;

namespace ControlPlane.Cli;

public enum OutputFormat
{
    Text,
    Json,
}

/// <summary>Options every command takes; each falls back to an environment variable, then to a default.</summary>
public sealed class GlobalOptions
{
    public const string DefaultUrl = "http://127.0.0.1:5080";

    public Option<string> Url { get; } = new("--url")
    {
        Description = $"Control plane base URL [env CP_URL, default {DefaultUrl}]",
        Recursive = true,
    };

    public Option<string> Token { get; } = new("--token")
    {
        Description = "API token, sent as a bearer token [env CP_TOKEN; prefer the variable: flags show in process lists]",
        Recursive = true,
    };

    public Option<OutputFormat?> Output { get; } = new("--output", "-o")
    {
        Description = "text for people, json for machines (one JSON document on stdout) [env CP_OUTPUT]",
        Recursive = true,
    };

    public Option<bool> Quiet { get; } = new("--quiet", "-q")
    {
        Description = "Print only the id or number made (version, release, publication), for scripts",
        Recursive = true,
    };

    public Option<string?> IdempotencyKey { get; } = new("--idempotency-key")
    {
        Description = "Sent as Idempotency-Key on the command's POST: a retry with the same key does not act twice",
        Recursive = true,
    };

    public void AddTo(Command command)
    {
        command.Options.Add(IdempotencyKey);
        command.Options.Add(Url);
        command.Options.Add(Token);
        command.Options.Add(Output);
        command.Options.Add(Quiet);
    }
}
