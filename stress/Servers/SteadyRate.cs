using System.Diagnostics;

namespace Coord.Stress.Servers;

/// <summary>
/// Drives a freshly started server until its rate stops climbing, so that the first target of a run is
/// not measured on a colder server than the targets after it (measured on this kind of machine: the same
/// target came out 0.8× or 1.1× of its peer on etcd, and with a 45 ms longest wait instead of 8 ms on
/// ZooKeeper, depending only on which of the two ran first).
/// </summary>
public static class SteadyRate
{
    private static readonly TimeSpan Window = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan Shortest = TimeSpan.FromSeconds(8);
    private static readonly TimeSpan Longest = TimeSpan.FromSeconds(30);

    /// <summary>Number of one-second windows compared at a time: single windows on a shared machine vary by ±20 %.</summary>
    private const int Span = 3;

    /// <summary>
    /// Runs <paramref name="round"/> back to back for at least 8 s and until the last three one-second
    /// windows were no faster than the three before them, at most 30 s; returns the last rate in rounds per second.
    /// </summary>
    public static async Task<double> ReachAsync(Func<CancellationToken, Task> round, CancellationToken cancellationToken)
    {
        var started = Stopwatch.StartNew();
        var rates = new List<double>();
        while (true)
        {
            var window = Stopwatch.StartNew();
            var rounds = 0;
            while (window.Elapsed < Window)
            {
                await round(cancellationToken).ConfigureAwait(false);
                rounds++;
            }
            rates.Add(rounds / window.Elapsed.TotalSeconds);
            if (started.Elapsed >= Longest)
                return rates[^1];
            if (started.Elapsed < Shortest || rates.Count < 2 * Span)
                continue;
            var recent = rates.TakeLast(Span).Average();
            var before = rates.SkipLast(Span).TakeLast(Span).Average();
            if (recent <= before * 1.05)
                return recent;
        }
    }
}
