using Coord.Locks.Internal;
using Npgsql;

namespace Coord.Locks.Postgres;

/// <summary>
/// One acquire on <see cref="PostgresLock"/> or <see cref="PostgresSemaphore"/>: its place in the name's queue, and the hand-off a release
/// may deliver to it (by NOTIFY to its process's listener channel, or in process).
/// </summary>
/// <remarks>
/// A hand-off starts the new holder's lease when the release writes the row. The waiter dates it from
/// when it sent its last call that found the lock not its own: that call and the release exclude each
/// other on the server, so the release began after it, and the client's lease never outlasts the server's.
/// </remarks>
internal sealed class PostgresAttempt(LockRequest request, IPostgresWaitingLine owner, TimeSpan placeLease, TimeProvider time)
    : QueuedAttempt(request, time)
{
    private readonly PostgresLockListener _listener = owner.Database.Listener;
    private long _handedOffFence = -1;
    private long _lastMissSent;
    private PostgresLockListener.Membership? _membership;

    protected override TimeSpan RefreshInterval => Min(placeLease / 3, Request.Ttl / 3);

    protected override bool CanQueueAtOnce => _listener.IsListening;

    protected override async Task JoinAsync(CancellationToken cancellationToken)
    {
        _membership = _listener.Join(this);
        await owner.Database.WaitUntilListeningAsync(_membership.Ready, cancellationToken).ConfigureAwait(false);
    }

    protected override void LeaveWakeUps() => _membership?.Dispose();

    protected override async Task<TryResult> TryAsync(bool queue, CancellationToken cancellationToken)
    {
        if (!queue)
        {
            var taken = await owner.TakeAsync(Request, cancellationToken).ConfigureAwait(false);
            return taken is { } grant ? TryResult.Held(grant) : TryResult.NotYet(TimeSpan.Zero);
        }
        var call = await owner.CallAcquireAsync(Request, queue: true, _listener.ProcessId, cancellationToken).ConfigureAwait(false);
        if (call.Fence is { } fence)
            return TryResult.Held(new LockGrant(fence, call.Sent));
        _lastMissSent = call.Sent;
        return TryResult.NotYet(call.RetryIn);
    }

    protected override async Task<LockGrant?> LeaveAsync(CancellationToken cancellationToken)
    {
        var call = await owner.CallAcquireAsync(Request, queue: false, listener: null, cancellationToken).ConfigureAwait(false);
        return call.Fence is { } fence ? new LockGrant(fence, call.Sent) : null;
    }

    protected override async Task LeaveAndReleaseAsync(CancellationToken cancellationToken)
        => await owner.ReleaseTokenAsync(Request.Name, Token, cancellationToken).ConfigureAwait(false);

    protected override LockGrant? TakeHandOff()
        => Interlocked.Read(ref _handedOffFence) is var fence and >= 0
            ? new LockGrant(fence, _lastMissSent != 0 ? _lastMissSent : Request.StartedTimestamp)
            : null;

    protected override bool IsTransient(Exception exception) => exception is NpgsqlException npgsql && PostgresDatabase.IsConnectionLost(npgsql);

    /// <summary>A release handed this attempt the lock with <paramref name="fence"/>.</summary>
    public void HandOff(long fence)
    {
        Interlocked.Exchange(ref _handedOffFence, fence);
        Wake();
    }

    private static TimeSpan Min(TimeSpan a, TimeSpan b) => a < b ? a : b;
}
