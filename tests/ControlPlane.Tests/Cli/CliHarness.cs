using System.Text;
using ControlPlane.Cli;
using ControlPlane.Tests.Support;

namespace ControlPlane.Tests.Cli;

/// <summary>What one run of cpctl printed and returned.</summary>
public sealed record CliRun(int ExitCode, string Out, string Error)
{
    public override string ToString() => $"exit {ExitCode}\n--- stdout\n{Out}\n--- stderr\n{Error}";
}

/// <summary>
/// Runs cpctl in-process, as its Main does, against the fixture's control plane (its in-memory server's handler),
/// with captured stdout/stderr, chosen environment variables and stdin, and CI set unless a test asks for a terminal.
/// </summary>
public sealed class CliHarness(ControlPlaneFixture fixture)
{
    public Dictionary<string, string> Variables { get; } = new() { ["CI"] = "true", ["CP_TOKEN"] = ControlPlaneFixture.AdminToken };

    public bool Interactive { get; init; }

    /// <summary>Connect over the network to --url instead of the fixture's in-memory server.</summary>
    public bool Network { get; init; }

    public Task<CliRun> RunAsync(params string[] args) => RunWithInputAsync(stdin: null, args);

    /// <summary>Runs with <paramref name="stdin"/> piped in (null: stdin is a terminal).</summary>
    public async Task<CliRun> RunWithInputAsync(string? stdin, params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var console = new CliConsole
        {
            Out = TextWriter.Synchronized(output),
            Error = TextWriter.Synchronized(error),
            OpenStandardInput = () => new MemoryStream(Encoding.UTF8.GetBytes(stdin ?? "")),
            IsInputRedirected = stdin is not null,
            IsInteractive = Interactive,
            Variable = name => Variables.GetValueOrDefault(name),
            Handler = Network ? null : fixture.Factory.Server.CreateHandler(),
        };
        string[] withUrl = Network || Variables.ContainsKey("CP_URL") ? args : [.. args, "--url", "http://localhost/"];
        var code = await CliApp.RunAsync(withUrl, console);
        return new CliRun(code, output.ToString(), error.ToString());
    }
}
