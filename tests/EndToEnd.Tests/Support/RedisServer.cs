using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using StackExchange.Redis;

namespace EndToEnd.Tests.Support;

/// <summary>
/// A redis-server of its own for one agent, on a free loopback port, without persistence; killed (by its process id)
/// on dispose. Each agent of an environment needs a Redis of its own (the keys are the same), and a server of its own
/// makes FLUSHALL and the per-server function library exactly what they are in production.
/// </summary>
public sealed class RedisServer : IAsyncDisposable
{
    private Process _process;
    private readonly string _directory;
    private ConnectionMultiplexer? _connection;

    private readonly bool _persistent;

    private RedisServer(Process process, int port, string directory, bool persistent = false)
    {
        _process = process;
        Port = port;
        _directory = directory;
        _persistent = persistent;
    }

    public int Port { get; }

    /// <summary>The StackExchange.Redis configuration string an agent is given.</summary>
    public string Configuration => $"127.0.0.1:{Port}";

    /// <summary>A connection of the test's own (admin commands allowed, for FLUSHALL).</summary>
    public IDatabase Database => (_connection ??= ConnectionMultiplexer.Connect($"{Configuration},allowAdmin=true,abortConnect=false,syncTimeout=30000")).GetDatabase();

    /// <param name="persistent">With an append-only file written on every command (appendfsync always): a restart keeps the data.</param>
    public static async Task<RedisServer> StartAsync(bool persistent = false)
    {
        Exception? last = null;
        for (var attempt = 0; attempt < 5; attempt++)
        {
            var port = FreePort();
            var directory = Directory.CreateTempSubdirectory("cp-e2e-redis-").FullName;
            var server = new RedisServer(Launch(port, directory, persistent), port, directory, persistent);
            if (await server.WaitForPingAsync())
            {
                return server;
            }

            // Most likely someone took the port between our probe and the server's bind: try another one.
            last = new InvalidOperationException($"redis-server on port {port} did not answer PING.");
            await server.DisposeAsync();
        }

        throw last!;
    }

    /// <summary>Kills the server (SIGKILL) and starts a new one on the same port: without persistence, it comes back empty; with it, as its append-only file says.</summary>
    public async Task RestartAsync()
    {
        await KillProcessAsync();
        _process.Dispose();
        _process = Launch(Port, _directory, _persistent);
        if (!await WaitForPingAsync())
        {
            throw new InvalidOperationException($"redis-server on port {Port} did not come back.");
        }
    }

    public async ValueTask DisposeAsync()
    {
        _connection?.Dispose();
        await KillProcessAsync();
        _process.Dispose();
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private static Process Launch(int port, string directory, bool persistent)
    {
        var start = new ProcessStartInfo("redis-server")
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var argument in new[]
        {
            "--bind", "127.0.0.1", "--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--dir", directory,
            "--save", "", "--appendonly", persistent ? "yes" : "no", "--appendfsync", persistent ? "always" : "everysec", "--daemonize", "no", "--protected-mode", "yes", "--logfile", Path.Combine(directory, "redis.log"),
        })
        {
            start.ArgumentList.Add(argument);
        }

        Process process;
        try
        {
            process = Process.Start(start) ?? throw new InvalidOperationException("redis-server did not start.");
        }
        catch (System.ComponentModel.Win32Exception exception)
        {
            throw new InvalidOperationException("redis-server is not on PATH; ./test installs it.", exception);
        }

        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    private async Task KillProcessAsync()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill();
                await _process.WaitForExitAsync();
            }
        }
        catch (InvalidOperationException)
        {
            // It has exited already.
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private async Task<bool> WaitForPingAsync()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        while (!timeout.IsCancellationRequested && !_process.HasExited)
        {
            try
            {
                using var client = new TcpClient();
                await client.ConnectAsync(IPAddress.Loopback, Port, timeout.Token);
                var stream = client.GetStream();
                await stream.WriteAsync(Encoding.ASCII.GetBytes("PING\r\n"), timeout.Token);
                var buffer = new byte[16];
                var read = await stream.ReadAsync(buffer, timeout.Token);
                if (Encoding.ASCII.GetString(buffer, 0, read).StartsWith("+PONG", StringComparison.Ordinal))
                {
                    return true;
                }
            }
            catch (SocketException)
            {
            }
            catch (IOException)
            {
            }
            catch (OperationCanceledException)
            {
                break;
            }

            await Task.Delay(50, CancellationToken.None);
        }

        return false;
    }
}
