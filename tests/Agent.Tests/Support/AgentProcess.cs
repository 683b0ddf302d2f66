using System.Diagnostics;

namespace Agent.Tests.Support;

/// <summary>The agent as its own process (the Agent.dll built beside the tests), so a test can kill it with SIGKILL.</summary>
public sealed class AgentProcess : IDisposable
{
    private readonly Process _process;

    private AgentProcess(Process process) => _process = process;

    public static AgentProcess Start(Uri controlPlane, string environment, string agentId, int chunkSize, int changePageSize = 5000)
    {
        var start = new ProcessStartInfo("dotnet", [AgentDll()])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.Environment["Agent__ControlPlaneUrl"] = controlPlane.ToString();
        start.Environment["Agent__Environment"] = environment;
        start.Environment["Agent__Group"] = "g";
        start.Environment["Agent__AgentId"] = agentId;
        start.Environment["Agent__Redis"] = TestRedis.Address;
        start.Environment["Agent__ChunkSize"] = chunkSize.ToString(System.Globalization.CultureInfo.InvariantCulture);
        start.Environment["Agent__ChangePageSize"] = changePageSize.ToString(System.Globalization.CultureInfo.InvariantCulture);
        start.Environment["Logging__LogLevel__Default"] = "Warning";
        var process = Process.Start(start) ?? throw new InvalidOperationException("The agent did not start.");
        // Drained so a chatty agent never blocks on a full pipe.
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return new AgentProcess(process);
    }

    public bool HasExited => _process.HasExited;

    /// <summary>
    /// The agent as its own build put it (src/Agent/bin/{configuration}/{tfm}): the copy beside the tests runs on the
    /// tests' shared frameworks and lacks the hosting assemblies.
    /// </summary>
    private static string AgentDll()
    {
        var tfm = new DirectoryInfo(AppContext.BaseDirectory);
        var configuration = tfm.Parent!;
        var root = configuration;
        while (root is not null && !File.Exists(Path.Combine(root.FullName, "ControlPlane.sln")))
        {
            root = root.Parent;
        }

        var dll = Path.Combine(root?.FullName ?? throw new InvalidOperationException("ControlPlane.sln not found above the tests."),
            "src", "Agent", "bin", configuration.Name, tfm.Name, "Agent.dll");
        return File.Exists(dll) ? dll : throw new InvalidOperationException($"{dll} is missing; build the solution first (./test does).");
    }

    /// <summary>SIGKILL: no shutdown code runs, as with kill -9.</summary>
    public void Kill()
    {
        _process.Kill(entireProcessTree: true);
        _process.WaitForExit();
    }

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            Kill();
        }

        _process.Dispose();
    }
}
