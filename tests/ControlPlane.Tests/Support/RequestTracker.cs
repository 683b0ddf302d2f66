using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;

namespace ControlPlane.Tests.Support;

/// <summary>
/// Records every request the in-memory server has finished and the status it answered, so a test can wait
/// for a request whose client gave up before the server was done with it.
/// </summary>
public sealed class RequestTracker
{
    private readonly ConcurrentQueue<int> _statuses = new();

    public int Completed => _statuses.Count;

    public IReadOnlyList<int> Statuses => [.. _statuses];

    public async Task WaitForCompletedAsync(int count)
    {
        // A generous bound only so that a hang fails the test instead of the run; not a timing assertion.
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        while (Completed < count)
        {
            await Task.Delay(10, timeout.Token);
        }
    }

    internal sealed class StartupFilter(RequestTracker tracker) : IStartupFilter
    {
        public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
        {
            app.Use(async (context, inner) =>
            {
                try
                {
                    await inner(context);
                }
                finally
                {
                    tracker._statuses.Enqueue(context.Response.StatusCode);
                }
            });
            next(app);
        };
    }
}
