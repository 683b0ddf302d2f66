using System.Globalization;
using ControlPlane.Cli.Commands;
using ControlPlane.Client;

namespace ControlPlane.Cli.Output;

/// <summary>
/// Follows a publication until it ends or the timeout passes, showing progress on stderr: a bar redrawn in place on
/// a terminal, timestamped lines (one per change) in CI or when stderr is redirected. Returns the exit code.
/// A publication in waves that holds for a person (no hold time) ends the wait too: exit code 11, with what to do next.
/// </summary>
public sealed class PublicationWatcher(CommandContext context, TimeSpan timeout, TimeSpan interval, WaitGoal goal = WaitGoal.Live)
{
    private const int BarWidth = 30;
    private string? _lastLine;
    private readonly Dictionary<string, string> _agentPhases = [];
    private bool _barDrawn;

    private TimeProvider Time => context.Console.Time;

    private TextWriter Progress => context.Error;

    public async Task<int> WaitAsync(PublicationInfo started, CancellationToken cancellationToken)
    {
        var begin = Time.GetUtcNow();
        var deadline = begin + timeout;
        var publication = started;
        try
        {
            while (true)
            {
                await ShowAsync(publication, Time.GetUtcNow() - begin);
                if (!publication.IsInFlight)
                {
                    await EndBarAsync();
                    return await FinishAsync(publication);
                }

                // A hold time promotes by itself, so waiting goes on; without one only a person moves it on.
                if (goal == WaitGoal.Live && publication is { State: PublicationStates.Holding, HoldUntil: null })
                {
                    await EndBarAsync();
                    return await HoldingAsync(publication);
                }

                var remaining = deadline - Time.GetUtcNow();
                if (remaining <= TimeSpan.Zero)
                {
                    await EndBarAsync();
                    return await TimedOutAsync(publication);
                }

                await Task.Delay(remaining < interval ? remaining : interval, Time, cancellationToken);
                publication = await context.Client.GetPublicationAsync(started.Id, cancellationToken);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            await EndBarAsync();
            await context.Error.WriteLineAsync(
                $"Stopped waiting; publication {publication.Id} goes on. Follow it with: cpctl status --publication {publication.Id}");
            return ExitCodes.Interrupted;
        }
    }

    private async Task ShowAsync(PublicationInfo p, TimeSpan elapsed)
    {
        var total = p.Agents.Count;
        var staged = p.Agents.Count(a => a.Phase is AgentPhases.Staged or AgentPhases.Switched);
        var switched = p.Agents.Count(a => a.Phase == AgentPhases.Switched);
        var records = p.Agents.Sum(a => a.RecordsStaged);
        var recordsTotal = p.Agents.Sum(a => a.RecordsTotal);
        var counts = $"staged {staged}/{total}, switched {switched}/{total}" + (recordsTotal > 0 && staged < total ? $", records {records:N0}/{recordsTotal:N0}" : "")
            + WaveProgress(p);
        if (context.Console.IsInteractive && !context.Json)
        {
            var fraction = total == 0 ? (p.State == PublicationStates.Live ? 1.0 : 0.0) : (staged + switched) / (2.0 * total);
            var filled = (int)Math.Round(fraction * BarWidth);
            var bar = new string('#', filled) + new string('-', BarWidth - filled);
            await Progress.WriteAsync($"\r\u001b[2K{p.Kind} {p.Id} [{bar}] {p.State,-9} {counts}  {Durations.Format(elapsed)}");
            await Progress.FlushAsync();
            _barDrawn = true;
            return;
        }

        var line = $"{p.Kind} {p.Id} (release {p.ReleaseId} to {p.Environment}): {p.State}, {counts}";
        if (line != _lastLine)
        {
            _lastLine = line;
            await Progress.WriteLineAsync($"{Stamp()} {line}");
        }

        foreach (var agent in p.Agents)
        {
            var phase = agent.Phase + (agent.Error is { } error ? $" (error: {error})" : "");
            if (!_agentPhases.TryGetValue(agent.AgentId, out var known) || known != phase)
            {
                _agentPhases[agent.AgentId] = phase;
                await Progress.WriteLineAsync($"{Stamp()}   agent {agent.AgentId} ({agent.Group}): {phase}");
            }
        }
    }

    private string WaveProgress(PublicationInfo p)
    {
        if (p is not { Waves.Count: > 0, CurrentWave: { } current })
        {
            return "";
        }

        var hold = p is { State: PublicationStates.Holding, HoldUntil: { } until }
            ? $", promotes at {until.ToUniversalTime().ToString("HH:mm:ss", CultureInfo.InvariantCulture)}Z unless aborted"
            : "";
        return $", wave {Math.Min(current + 1, p.Waves.Count)}/{p.Waves.Count} {p.Waves[Math.Min(current, p.Waves.Count - 1)].State}{hold}";
    }

    private string Stamp() => Time.GetUtcNow().ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture);

    private async Task EndBarAsync()
    {
        if (_barDrawn)
        {
            await Progress.WriteLineAsync();
            _barDrawn = false;
        }
    }

    private async Task<int> HoldingAsync(PublicationInfo p)
    {
        if (context.Json)
        {
            await CliJson.WriteAsync(context.Out, p);
            return ExitCodes.Holding;
        }

        var current = p.CurrentWave ?? 0;
        var waves = p.Waves ?? [];
        var live = string.Join("; ", waves.Where(w => w.State == "Live").Select(WaveText.Describe));
        var next = current + 1 < waves.Count ? $"wave {current + 2} of {waves.Count} ({WaveText.Describe(waves[current + 1])})" : "the next wave";
        await context.Out.WriteLineAsync(
            $"Release {p.ReleaseId} is Holding in {p.Environment} (publication {p.Id}): wave {current + 1} of {waves.Count} is live ({live}); {next} waits.");
        await context.Out.WriteLineAsync(
            $"Promote with: cpctl promote {p.ReleaseId} --wait   or abort with: cpctl abort {p.ReleaseId} --reason TEXT --wait");
        return ExitCodes.Holding;
    }

    private async Task<int> FinishAsync(PublicationInfo p)
    {
        var code = goal == WaitGoal.Aborted && p.State == PublicationStates.Aborted ? ExitCodes.Ok : ExitCodeOf(p);
        if (context.Json)
        {
            await CliJson.WriteAsync(context.Out, p);
            return code;
        }

        var timings = p.Timings.TotalSeconds is { } totalSeconds
            ? $" (staging {p.Timings.StagingSeconds ?? 0:0.###} s, switching {p.Timings.SwitchingSeconds ?? 0:0.###} s, total {totalSeconds:0.###} s)"
            : "";
        var summary = code switch
        {
            ExitCodes.Ok when p.State == PublicationStates.Aborted =>
                $"Publication {p.Id} of release {p.ReleaseId} is Aborted; {p.Environment} serves what was live before{(p.PreviousReleaseId is { } before ? $" (release {before})" : "")}.",
            ExitCodes.Ok => $"Release {p.ReleaseId} is Live in {p.Environment} (publication {p.Id}, generation {p.Generation}){timings}.",
            ExitCodes.Partial => $"Publication {p.Id} is Partial: some agents did not switch; they keep retrying. Roll back with: cpctl rollback --env {p.Environment}",
            ExitCodes.Failed => $"Publication {p.Id} {p.State}; nothing was switched.",
            ExitCodes.Aborted => $"Publication {p.Id} was aborted.",
            ExitCodes.WaitingForApproval => $"Release {p.ReleaseId} waits for approval ({p.State}).",
            _ => $"Publication {p.Id} ended as {p.State}.",
        };
        var writer = code == ExitCodes.Ok ? context.Out : context.Error;
        await writer.WriteLineAsync(summary);
        if (p.Reason is { Length: > 0 } reason)
        {
            await writer.WriteLineAsync("reason: " + reason);
        }

        foreach (var agent in p.Agents.Where(a => a.Error is not null || (code != ExitCodes.Ok && a.Phase != AgentPhases.Switched)))
        {
            await writer.WriteLineAsync($"  agent {agent.AgentId} ({agent.Group}): {agent.Phase}{(agent.Error is { } e ? ", error: " + e : "")}");
        }

        return code;
    }

    private async Task<int> TimedOutAsync(PublicationInfo p)
    {
        if (context.Json)
        {
            await CliJson.WriteAsync(context.Out, p);
        }

        await context.Error.WriteLineAsync(
            $"Timed out after {Durations.Format(timeout)}: publication {p.Id} is still {p.State}; it goes on. " +
            $"Follow it with: cpctl status --publication {p.Id}");
        return ExitCodes.TimedOut;
    }

    /// <summary>The exit code of a publication that is no longer in flight.</summary>
    public static int ExitCodeOf(PublicationInfo p) => p.State switch
    {
        PublicationStates.Live => ExitCodes.Ok,
        PublicationStates.Superseded => p.LiveAt is null ? ExitCodes.Failed : ExitCodes.Ok,
        PublicationStates.Failed => ExitCodes.Failed,
        PublicationStates.Partial => ExitCodes.Partial,
        PublicationStates.Aborted => ExitCodes.Aborted,
        _ when p.State.Contains("Approval", StringComparison.OrdinalIgnoreCase) => ExitCodes.WaitingForApproval,
        _ => ExitCodes.Error,
    };
}
