namespace Coord.Locks;

/// <summary>
/// This process's leadership of one election, won by a campaign. It renews itself in the background until
/// resigned or disposed; <see cref="Lost"/> fires as soon as this client can no longer be sure it leads.
/// Disposing resigns. Thread-safe.
/// </summary>
/// <remarks>
/// <c>Dispose</c> and <c>DisposeAsync</c> never throw for a failed resignation, so they cannot mask the
/// exception of the block they end: the failure is logged and the leadership ends at its TTL. Call
/// <see cref="ResignAsync"/> to see the failure.
/// </remarks>
public interface ILeadership : IAsyncDisposable, IDisposable
{
    /// <summary>The election name.</summary>
    string Election { get; }

    /// <summary>The value this leader announces: the campaign's, or the last one proclaimed.</summary>
    string Value { get; }

    /// <summary>
    /// The leadership epoch (fencing token): strictly greater than the term of every earlier leader of this
    /// election. Pass it with every write the leader makes, so a resource can refuse writes of a deposed leader.
    /// </summary>
    long Term { get; }

    /// <summary>The time-to-live of each lease period; renewals extend the leadership by this much.</summary>
    TimeSpan Ttl { get; }

    /// <summary>Local time until which the leadership is known to be safe, already reduced by the clock drift margin.</summary>
    DateTimeOffset ValidUntil { get; }

    /// <summary>Fires when leadership is lost (renewal refused or impossible, lease or session expired, key taken away). Never fires after a resignation.</summary>
    CancellationToken Lost { get; }

    /// <summary>True once <see cref="Lost"/> has fired.</summary>
    bool IsLost { get; }

    /// <summary>Announces a new value without another election: observers see it with the same <see cref="Term"/>.</summary>
    /// <param name="value">The new value: at most <see cref="LeaderElectionProvider.MaximumValueBytes"/> bytes as UTF-8, valid text (empty is allowed).</param>
    /// <param name="cancellationToken">Stops waiting for the backend.</param>
    /// <returns>A task that completes once the backend shows the new value.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="value"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="value"/> is too long or holds a lone surrogate.</exception>
    /// <exception cref="NotLeaderException">This leadership was resigned or lost; nothing was changed.</exception>
    /// <exception cref="LockBackendException">The backend could not be reached or failed.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    Task ProclaimAsync(string value, CancellationToken cancellationToken = default);

    /// <summary>Steps down, so the next candidate in line is elected. Safe to call more than once; later calls do nothing.</summary>
    /// <param name="cancellationToken">Stops waiting for the backend; the leadership then ends at its TTL.</param>
    /// <returns>A task that completes once the backend has ended the leadership (or found it already gone).</returns>
    /// <exception cref="LockBackendException">The backend could not be reached or failed; the leadership ends at its TTL.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    Task ResignAsync(CancellationToken cancellationToken = default);
}
