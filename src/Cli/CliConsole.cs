namespace ControlPlane.Cli;

/// <summary>
/// Everything the CLI touches outside itself: streams, environment variables, the terminal, the clock, and the
/// HTTP transport. Tests give their own (captured writers, an in-memory control plane's handler).
/// </summary>
public sealed class CliConsole
{
    public required TextWriter Out { get; init; }

    public required TextWriter Error { get; init; }

    public required Func<Stream> OpenStandardInput { get; init; }

    /// <summary>Reads an environment variable (CP_URL, CP_TOKEN, CI, ...).</summary>
    public required Func<string, string?> Variable { get; init; }

    /// <summary>True when stdin is a pipe or file rather than a terminal.</summary>
    public bool IsInputRedirected { get; init; }

    /// <summary>True when stderr is a terminal and CI is not set: progress is drawn as a bar, not as lines.</summary>
    public bool IsInteractive { get; init; }

    public TimeProvider Time { get; init; } = TimeProvider.System;

    /// <summary>The transport to the control plane; null for a real HTTP connection.</summary>
    public HttpMessageHandler? Handler { get; init; }

    public static CliConsole System()
    {
        var ci = Environment.GetEnvironmentVariable("CI");
        var term = Environment.GetEnvironmentVariable("TERM");
        return new CliConsole
        {
            Out = Console.Out,
            Error = Console.Error,
            OpenStandardInput = Console.OpenStandardInput,
            Variable = Environment.GetEnvironmentVariable,
            IsInputRedirected = Console.IsInputRedirected,
            IsInteractive = !Console.IsErrorRedirected && string.IsNullOrEmpty(ci) && term != "dumb",
        };
    }
}
