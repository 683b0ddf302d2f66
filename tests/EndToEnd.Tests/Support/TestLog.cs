using System.Collections.Concurrent;
using System.Globalization;
using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Xunit.Abstractions;

namespace EndToEnd.Tests.Support;

/// <summary>
/// Collects the logs of everything a test runs in-process (control plane, agents) with the name of who wrote them,
/// and hands the tail to the test's output when the test ends: a failed end-to-end test is read from these lines.
/// Background work keeps logging after a test ended, which xUnit's output helper refuses, hence the buffer.
/// </summary>
public sealed class TestLog
{
    private const int MaxLines = 20_000;
    private const int ShownLines = 600;
    private readonly ConcurrentQueue<string> _lines = new();
    private readonly Stopwatch _clock = Stopwatch.StartNew();

    public ILoggerProvider For(string source) => new Provider(this, source);

    public void Write(string source, string message)
    {
        _lines.Enqueue(string.Create(CultureInfo.InvariantCulture, $"{_clock.Elapsed.TotalSeconds,8:F3} {source,-12} {message}"));
        while (_lines.Count > MaxLines && _lines.TryDequeue(out _))
        {
        }
    }

    public bool Contains(string source, string text) => Count(source, text) > 0;

    /// <summary>How many lines of <paramref name="source"/> hold <paramref name="text"/>.</summary>
    public int Count(string source, string text) => _lines.Count(l => l.Contains(source, StringComparison.Ordinal) && l.Contains(text, StringComparison.Ordinal));

    public void CopyTo(ITestOutputHelper output)
    {
        var lines = _lines.ToArray();
        var shown = lines.Length > ShownLines ? lines[^ShownLines..] : lines;
        if (shown.Length < lines.Length)
        {
            output.WriteLine($"... {lines.Length - shown.Length} earlier log lines left out");
        }

        foreach (var line in shown)
        {
            output.WriteLine(line);
        }
    }

    private sealed class Provider(TestLog log, string source) : ILoggerProvider
    {
        public ILogger CreateLogger(string categoryName) => new Logger(log, source, categoryName[(categoryName.LastIndexOf('.') + 1)..]);

        public void Dispose()
        {
        }
    }

    private sealed class Logger(TestLog log, string source, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel != LogLevel.None;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            var text = $"{Level(logLevel)} {category}: {formatter(state, exception)}";
            if (exception is not null)
            {
                text += $" [{exception.GetType().Name}: {exception.Message}]";
            }

            log.Write(source, text);
        }

        private static string Level(LogLevel level) => level switch
        {
            LogLevel.Trace => "trce",
            LogLevel.Debug => "dbug",
            LogLevel.Information => "info",
            LogLevel.Warning => "WARN",
            LogLevel.Error => "FAIL",
            _ => "CRIT",
        };
    }
}
