using System.Text.Json;
using ControlPlane.Tests.Support;

namespace EndToEnd.Tests.Support;

/// <summary>
/// Waits for what agents and the control plane bring about in the background by polling, never by asserting on how
/// long it took. The bound is generous only so that a hang fails the test instead of the run.
/// </summary>
public static class Eventually
{
    public static readonly TimeSpan Bound = TimeSpan.FromSeconds(120);

    public static async Task<T> ReadUntilAsync<T>(Func<Task<T>> read, Func<T, bool> done, string what, TimeSpan? bound = null)
    {
        using var timeout = new CancellationTokenSource(bound ?? Bound);
        var value = await read();
        while (!done(value))
        {
            if (timeout.IsCancellationRequested)
            {
                Assert.Fail($"Gave up waiting until {what}; last read: {Describe(value)}");
            }

            await Task.Delay(100, CancellationToken.None);
            value = await read();
        }

        return value;
    }

    public static Task UntilAsync(Func<Task<bool>> condition, string what, TimeSpan? bound = null) =>
        ReadUntilAsync(condition, done => done, what, bound);

    public static Task UntilAsync(Func<bool> condition, string what, TimeSpan? bound = null) =>
        ReadUntilAsync(() => Task.FromResult(condition()), done => done, what, bound);

    private static string Describe<T>(T value)
    {
        try
        {
            return JsonSerializer.Serialize(value, Http.Json);
        }
        catch (NotSupportedException)
        {
            return value?.ToString() ?? "null";
        }
    }
}
