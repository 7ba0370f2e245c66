using System.Diagnostics;
using System.Runtime;

namespace Coord.Stress.Engine;

/// <summary>
/// Tells when a warm-up has lasted long enough: at least a minimum, and then until the JIT has compiled
/// nothing for a while (tiered compilation re-compiles hot methods in the background some time after their
/// first calls, and dynamic PGO once more after that), or at most a cap. A fixed warm-up measured the
/// first target of a run partly on unoptimised code, in favour of the targets measured after it.
/// </summary>
public sealed class JitQuiet(TimeSpan minimum, TimeSpan quietFor, TimeSpan maximum)
{
    private readonly Stopwatch _elapsed = Stopwatch.StartNew();
    private long _lastCount = JitInfo.GetCompiledMethodCount();
    private TimeSpan _lastChange;

    /// <summary>The runner's warm-up: 1 s at least, done after 500 ms without a compiled method, 10 s at most.</summary>
    public static JitQuiet ForWarmUp() => new(TimeSpan.FromSeconds(1), TimeSpan.FromMilliseconds(500), TimeSpan.FromSeconds(10));

    /// <summary>True while the warm-up should go on; safe to call from many clients at once.</summary>
    public bool KeepWarming
    {
        get
        {
            var now = _elapsed.Elapsed;
            var count = JitInfo.GetCompiledMethodCount();
            lock (_elapsed)
            {
                if (count != _lastCount)
                {
                    _lastCount = count;
                    _lastChange = now;
                }
                return now < maximum && (now < minimum || now - _lastChange < quietFor);
            }
        }
    }
}
