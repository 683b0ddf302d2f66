using System.Collections.Concurrent;

namespace ControlPlane.Agents;

/// <summary>
/// Wakes the desired-state requests held by this instance when an environment's desired state may have
/// changed. Fed by <see cref="DesiredStateListener"/> from PostgreSQL NOTIFY, so a change made through any
/// control plane instance reaches the agents waiting on every instance (I7).
/// </summary>
public sealed class DesiredStateSignal
{
    public const string Channel = "cp_desired";
    private readonly ConcurrentDictionary<string, TaskCompletionSource> _waiters = new(StringComparer.Ordinal);

    /// <summary>A task that completes at the next pulse of the environment. Take it before reading the state.</summary>
    public Task Next(string environment) =>
        _waiters.GetOrAdd(environment, _ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).Task;

    public void Pulse(string environment)
    {
        if (_waiters.TryRemove(environment, out var waiter))
        {
            waiter.TrySetResult();
        }
    }

    public void PulseAll()
    {
        foreach (var environment in _waiters.Keys)
        {
            Pulse(environment);
        }
    }
}
