namespace ControlPlane.Tests.Support;

/// <summary>Waits for what background work (the deadline sweeper) brings about, without asserting on how long it takes.</summary>
public static class Eventually
{
    /// <summary>
    /// Reads until <paramref name="done"/> holds and returns that reading. The bound is generous only so that a hang
    /// fails the test instead of the run; it is not a timing assertion.
    /// </summary>
    public static async Task<T> ReadUntilAsync<T>(Func<Task<T>> read, Func<T, bool> done, string what)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var value = await read();
        while (!done(value))
        {
            if (timeout.IsCancellationRequested)
            {
                Assert.Fail($"Gave up waiting until {what}; last read: {System.Text.Json.JsonSerializer.Serialize(value, Http.Json)}");
            }

            await Task.Delay(50, CancellationToken.None);
            value = await read();
        }

        return value;
    }
}
