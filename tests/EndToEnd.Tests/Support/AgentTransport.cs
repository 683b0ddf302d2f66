namespace EndToEnd.Tests.Support;

/// <summary>
/// The network between one agent and the control plane, as the test controls it: it can hold the agent's data
/// downloads (a slow or stalled link, so that a test catches the agent mid-staging), hold chosen desired-state answers
/// (an order that does not get through), and die with the agent (a killed process sends nothing more).
/// </summary>
public sealed class AgentTransport() : DelegatingHandler(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(1) })
{
    private readonly Lock _lock = new();
    private readonly CancellationTokenSource _killed = new();
    private TaskCompletionSource _open = Opened();
    private int _passesLeft = -1;
    private int _held;
    private Func<string, bool>? _holdDesired;
    private int _heldDesired;
    private int _desiredAnswers;
    private TaskCompletionSource _desiredOpen = Opened();
    private TaskCompletionSource _feedOpen = Opened();
    private int _heldFeed;

    /// <summary>How many data chunk requests are being held now.</summary>
    public int Held => Volatile.Read(ref _held);

    /// <summary>Lets <paramref name="chunks"/> more data chunk requests through, then holds the rest until <see cref="Release"/>.</summary>
    public void HoldChunksAfter(int chunks)
    {
        lock (_lock)
        {
            _passesLeft = chunks;
            if (_open.Task.IsCompleted)
            {
                _open = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            }
        }
    }

    /// <summary>Lets every held and later data chunk request through.</summary>
    public void Release()
    {
        lock (_lock)
        {
            _passesLeft = -1;
            _open.TrySetResult();
        }
    }

    /// <summary>
    /// Holds every desired-state answer whose JSON matches <paramref name="match"/> on its way to the agent (a stalled
    /// link) until <see cref="ReleaseDesired"/>; the control plane has answered, the agent just does not get it.
    /// </summary>
    public void HoldDesiredWhere(Func<string, bool> match)
    {
        lock (_lock)
        {
            _holdDesired = match;
            if (_desiredOpen.Task.IsCompleted)
            {
                _desiredOpen = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            }
        }
    }

    public void ReleaseDesired()
    {
        lock (_lock)
        {
            _holdDesired = null;
            _desiredOpen.TrySetResult();
        }
    }

    /// <summary>Holds every live-change feed pull (a slow agent that cannot keep up) until <see cref="ReleaseFeed"/>.</summary>
    public void HoldFeed()
    {
        lock (_lock)
        {
            if (_feedOpen.Task.IsCompleted)
            {
                _feedOpen = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            }
        }
    }

    public void ReleaseFeed()
    {
        lock (_lock)
        {
            _feedOpen.TrySetResult();
        }
    }

    /// <summary>How many live-change feed pulls are being held now.</summary>
    public int HeldFeed => Volatile.Read(ref _heldFeed);

    /// <summary>How many desired-state answers are being held now.</summary>
    public int HeldDesired => Volatile.Read(ref _heldDesired);

    /// <summary>How many desired-state requests were answered with success.</summary>
    public int DesiredAnswers => Volatile.Read(ref _desiredAnswers);

    /// <summary>The agent is gone: every request, held or new, fails as if the connection were dead.</summary>
    public void Kill() => _killed.Cancel();

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        ThrowIfKilled();
        var path = request.RequestUri?.AbsolutePath ?? "";
        if (path.StartsWith("/api/v1/agents/", StringComparison.Ordinal) && path.EndsWith("/changes", StringComparison.Ordinal))
        {
            await HoldFeedAsync(cancellationToken);
        }
        else if (path.EndsWith("/changes", StringComparison.Ordinal))
        {
            Task open;
            lock (_lock)
            {
                if (_passesLeft > 0)
                {
                    _passesLeft--;
                    open = Task.CompletedTask;
                }
                else
                {
                    open = _passesLeft == 0 ? _open.Task : Task.CompletedTask;
                }
            }

            if (!open.IsCompleted)
            {
                Interlocked.Increment(ref _held);
                try
                {
                    using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _killed.Token);
                    await open.WaitAsync(linked.Token);
                }
                catch (OperationCanceledException) when (_killed.IsCancellationRequested)
                {
                    ThrowIfKilled();
                }
                finally
                {
                    Interlocked.Decrement(ref _held);
                }
            }

            ThrowIfKilled();
        }

        using var linkedSend = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _killed.Token);
        try
        {
            var response = await base.SendAsync(request, linkedSend.Token);
            if (request.RequestUri?.AbsolutePath.EndsWith("/desired", StringComparison.Ordinal) == true && response.IsSuccessStatusCode)
            {
                Interlocked.Increment(ref _desiredAnswers);
                await HoldDesiredAsync(response, linkedSend.Token);
            }

            return response;
        }
        catch (OperationCanceledException) when (_killed.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            ThrowIfKilled();
            throw;
        }
    }

    private async Task HoldFeedAsync(CancellationToken cancellationToken)
    {
        Task open;
        lock (_lock)
        {
            open = _feedOpen.Task;
        }

        if (open.IsCompleted)
        {
            return;
        }

        Interlocked.Increment(ref _heldFeed);
        try
        {
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _killed.Token);
            await open.WaitAsync(linked.Token);
        }
        catch (OperationCanceledException) when (_killed.IsCancellationRequested)
        {
            ThrowIfKilled();
        }
        finally
        {
            Interlocked.Decrement(ref _heldFeed);
        }

        ThrowIfKilled();
    }

    private async Task HoldDesiredAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        Func<string, bool>? match;
        Task open;
        lock (_lock)
        {
            (match, open) = (_holdDesired, _desiredOpen.Task);
        }

        if (match is null)
        {
            return;
        }

        // Read it here to look at it, and give the agent an equal body to read.
        var original = response.Content;
        var body = await original.ReadAsStringAsync(cancellationToken);
        response.Content = new StringContent(body, System.Text.Encoding.UTF8);
        response.Content.Headers.ContentType = original.Headers.ContentType;
        original.Dispose();
        if (!match(body))
        {
            return;
        }

        Interlocked.Increment(ref _heldDesired);
        try
        {
            await open.WaitAsync(cancellationToken);
        }
        finally
        {
            Interlocked.Decrement(ref _heldDesired);
        }
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _killed.Dispose();
        }

        base.Dispose(disposing);
    }

    private static TaskCompletionSource Opened()
    {
        var open = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        open.SetResult();
        return open;
    }

    private void ThrowIfKilled()
    {
        if (_killed.IsCancellationRequested)
        {
            throw new HttpRequestException("The agent was killed; its connections are gone.");
        }
    }
}
