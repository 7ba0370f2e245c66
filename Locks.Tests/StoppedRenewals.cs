using System.Collections.Concurrent;
using Coord.Locks.Internal;

namespace Coord.Locks.Tests;

/// <summary>
/// Renewals of chosen holds that never reach the backend, as from a holder that crashed without releasing:
/// each such renewal hangs until the handle gives it up at its validity deadline. Other holds of the same
/// provider renew as usual.
/// </summary>
internal sealed class StoppedRenewals : IRenewalPath
{
    private readonly ConcurrentDictionary<string, byte> _stopped = new(StringComparer.Ordinal);

    /// <summary>Stops the renewals of <paramref name="handle"/>, a hold of <paramref name="provider"/>, without releasing it.</summary>
    public static void Of(LockProvider provider, ILockHandle handle) => provider.RenewalPath = With(provider.RenewalPath, handle);

    /// <summary>Stops the renewals of <paramref name="hold"/> (a semaphore permit, a read or write hold) of <paramref name="provider"/>, without releasing it.</summary>
    public static void Of(HoldProvider provider, ILockHandle hold) => provider.RenewalPath = With(provider.RenewalPath, hold);

    /// <summary>Stops the renewals of <paramref name="leadership"/>, won through <paramref name="provider"/>, without resigning.</summary>
    public static void Of(LeaderElectionProvider provider, ILeadership leadership) => provider.RenewalPath = With(provider.RenewalPath, ((Leadership)leadership).HolderToken);

    private static StoppedRenewals With(IRenewalPath? current, ILockHandle handle) => With(current, handle.HolderToken);

    private static StoppedRenewals With(IRenewalPath? current, string holderToken)
    {
        var stopped = current as StoppedRenewals ?? new StoppedRenewals();
        stopped._stopped.TryAdd(holderToken, 0);
        return stopped;
    }

    public async Task<bool> RenewAsync(string name, string holderToken, Func<CancellationToken, Task<bool>> send, CancellationToken cancellationToken)
    {
        if (_stopped.ContainsKey(holderToken))
            await Task.Delay(Timeout.InfiniteTimeSpan, cancellationToken);
        return await send(cancellationToken);
    }
}
