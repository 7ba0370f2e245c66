using System.Diagnostics;
using Coord.Stress.Engine;
using Coord.Testing;

namespace Coord.Stress.Faults;

/// <summary>
/// Kills one server node (SIGKILL) a third of the way into a timed run and starts it again (same port and
/// data) after the run. Records the acquisition rate before and after the kill.
/// </summary>
public sealed class ServerKillFault(Func<CancellationToken, Task<ServerNode>> chooseVictim, string description)
{
    private long _killedAt;
    private long _acquisitionsAtKill;
    private long _startedAt;
    private ServerNode? _victim;

    public Dictionary<string, double> Outcome { get; } = [];

    public LockRunHooks Attach(LockRunHooks hooks) => new()
    {
        FirstClient = hooks.FirstClient,
        Clients = hooks.Clients,
        Intervals = hooks.Intervals,
        MeasureServerCounters = hooks.MeasureServerCounters,
        OnHold = hooks.OnHold,
        OnFree = hooks.OnFree,
        Progress = hooks.Progress,
        BeforeMeasuring = async ct =>
        {
            if (hooks.BeforeMeasuring is { } before)
                await before(ct).ConfigureAwait(false);
            _startedAt = Stopwatch.GetTimestamp();
        },
        InjectFault = InjectAsync,
    };

    private async Task<Func<Task>> InjectAsync(ScenarioProgress progress, CancellationToken cancellationToken)
    {
        _victim = await chooseVictim(cancellationToken).ConfigureAwait(false);
        _acquisitionsAtKill = progress.Acquisitions;
        _killedAt = Stopwatch.GetTimestamp();
        _victim.Kill();
        return async () =>
        {
            var total = progress.Acquisitions;
            var before = Stopwatch.GetElapsedTime(_startedAt, _killedAt).TotalSeconds;
            var after = Stopwatch.GetElapsedTime(_killedAt).TotalSeconds;
            Outcome["acquisitions/s before kill"] = before > 0 ? _acquisitionsAtKill / before : 0;
            Outcome["acquisitions/s after kill"] = after > 0 ? (total - _acquisitionsAtKill) / after : 0;
            Outcome["seconds into run when killed"] = before;
            await _victim.StartAgainAsync(CancellationToken.None).ConfigureAwait(false);
        };
    }

    public string Describe() => _victim is null ? description : $"{description}: killed {_victim}";
}
