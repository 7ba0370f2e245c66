using System.Diagnostics;
using Coord.Stress.Targets;

namespace Coord.Stress.Engine;

/// <summary>
/// The client life cycle the <c>rwlocks</c> and <c>elections</c> scenarios share: make every client, warm each
/// up on a name of its own (connect, and let the JIT compile the path, as <see cref="LockScenarioRunner"/> does),
/// run every client's loop for the duration, dispose the clients.
/// </summary>
public static class PrimitiveRun
{
    private static readonly TimeSpan WarmUpRepeat = TimeSpan.FromMilliseconds(500);

    /// <summary>Runs the measured part; returns how long it took from the first loop's start to the last loop's end.</summary>
    /// <param name="warmUpOnce">One warm-up round of a client on the name given (its own); repeated for half a second.</param>
    /// <param name="loop">A client's measured loop; it ends when the token given is cancelled.</param>
    /// <param name="beforeMeasuring">Called after the warm-up (a worker process reports ready and waits for its parent's go).</param>
    public static async Task<TimeSpan> RunAsync<TClient>(PrimitiveTarget<TClient> target, PrimitiveScenario scenario,
        Func<TClient, string, CancellationToken, Task> warmUpOnce, Func<TClient, int, CancellationToken, Task> loop, CancellationToken cancellationToken,
        Func<CancellationToken, Task>? beforeMeasuring = null)
        where TClient : IAsyncDisposable
    {
        scenario.Validate();
        var clients = new List<TClient>();
        try
        {
            for (var i = 0; i < scenario.Clients; i++)
                clients.Add(await target.CreateClientAsync(cancellationToken).ConfigureAwait(false));
            var warmUpName = "warm-up-" + Guid.NewGuid().ToString("N")[..8];
            await Task.WhenAll(clients.Select(async (c, i) =>
            {
                var warming = Stopwatch.StartNew();
                do
                {
                    await warmUpOnce(c, $"{warmUpName}-{i}", cancellationToken).ConfigureAwait(false);
                    await Task.Yield(); // an in-process backend answers at once; let the other clients start
                }
                while (warming.Elapsed < WarmUpRepeat);
            })).ConfigureAwait(false);
            if (beforeMeasuring is not null)
                await beforeMeasuring(cancellationToken).ConfigureAwait(false);

            using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            var started = Stopwatch.GetTimestamp();
            var loops = clients.Select((c, i) => Task.Run(() => loop(c, i, stop.Token), CancellationToken.None)).ToArray();
            await Task.Delay(scenario.Duration, cancellationToken).ConfigureAwait(false);
            await stop.CancelAsync().ConfigureAwait(false);
            await Task.WhenAll(loops).ConfigureAwait(false);
            return Stopwatch.GetElapsedTime(started);
        }
        finally
        {
            foreach (var client in clients)
                await client.DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <summary>Waits a little after an error (a dead backend fails fast and would spin) unless the run is over.</summary>
    public static async Task PauseAfterErrorAsync(CancellationToken stop)
    {
        try
        {
            await Task.Delay(TimeSpan.FromMilliseconds(20), stop).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }
    }

    /// <summary>Holds for <paramref name="hold"/>, or yields when it is zero so an at-once answer cannot keep the thread.</summary>
    public static async Task HoldAsync(TimeSpan hold)
    {
        if (hold > TimeSpan.Zero)
            await Task.Delay(hold, CancellationToken.None).ConfigureAwait(false);
        else
            await Task.Yield();
    }

    /// <summary>The clients' errors summed by kind.</summary>
    public static IReadOnlyDictionary<string, long> Errors(IEnumerable<ClientRecorder> recorders) => recorders
        .SelectMany(r => r.Errors).GroupBy(e => e.Key, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Sum(e => e.Value), StringComparer.Ordinal);

    /// <summary>The recorders' waits merged into one distribution.</summary>
    public static LatencyStats Waits(IEnumerable<ClientRecorder> recorders)
    {
        var merged = Histograms.Create();
        foreach (var recorder in recorders)
            merged.Add(recorder.Wait);
        return LatencyStats.From(merged);
    }
}
