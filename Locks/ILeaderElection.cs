namespace Coord.Locks;

/// <summary>
/// Leader elections on one backend: candidates campaign with a value (such as their address), one at a time
/// leads, in the order they joined; everyone can ask who leads and observe each change. Every leader has a
/// term that rises with each new leader, so a deposed leader's writes can be refused downstream.
/// </summary>
/// <example>
/// <code>
/// await using var leadership = await elections.CampaignAsync("scheduler", "10.0.0.7:8080", cancellationToken: stopping);
/// await scheduler.RunAsync(term: leadership.Term, leadership.Lost);
/// </code>
/// </example>
public interface ILeaderElection : IAsyncDisposable
{
    /// <summary>Short backend name used in errors and metrics, e.g. <c>etcd</c>.</summary>
    string Backend { get; }

    /// <summary>Where the backend lives, for error messages (host:port list).</summary>
    string Endpoint { get; }

    /// <summary>
    /// Joins the election and waits to be elected: candidates lead in the order they joined. <paramref name="wait"/>
    /// null waits until cancelled; on timeout the candidacy is withdrawn and <see cref="CampaignTimeoutException"/> thrown.
    /// </summary>
    /// <param name="election">Election name: 1 to 256 characters, no control characters.</param>
    /// <param name="value">What this candidate announces once elected: at most <see cref="LeaderElectionProvider.MaximumValueBytes"/> bytes as UTF-8, valid text (empty is allowed).</param>
    /// <param name="wait">How long to wait to be elected: zero tries once; null or <see cref="Timeout.InfiniteTimeSpan"/> waits until cancelled; at most <see cref="LockOptions.MaximumWait"/>.</param>
    /// <param name="ttl">Lease length, renewed by the leadership while held: within the backend's TTL range; null uses <see cref="LockOptions.DefaultTtl"/>.</param>
    /// <param name="cancellationToken">Stops the campaign; a candidacy already sent to the backend is withdrawn.</param>
    /// <returns>The leadership; it renews its lease until resigned and signals <see cref="ILeadership.Lost"/> if it ends early.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="election"/> or <paramref name="value"/> is null.</exception>
    /// <exception cref="ArgumentException">The election name or the value is out of its range; the message says what is allowed.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="wait"/> is negative or too long, or <paramref name="ttl"/> is outside the backend's range.</exception>
    /// <exception cref="LockBackendException">The backend could not be reached or failed, or did not answer within the wait plus <see cref="LockOptions.ConnectTimeout"/>.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    /// <exception cref="ObjectDisposedException">The provider was disposed.</exception>
    /// <exception cref="CampaignTimeoutException">Not elected within <paramref name="wait"/>.</exception>
    Task<ILeadership> CampaignAsync(string election, string value, TimeSpan? wait = null, TimeSpan? ttl = null, CancellationToken cancellationToken = default);

    /// <summary>Like <see cref="CampaignAsync"/> but returns null (the candidacy withdrawn) when not elected within <paramref name="wait"/> (default: no waiting).</summary>
    /// <param name="election">Election name: 1 to 256 characters, no control characters.</param>
    /// <param name="value">What this candidate announces once elected: at most <see cref="LeaderElectionProvider.MaximumValueBytes"/> bytes as UTF-8, valid text (empty is allowed).</param>
    /// <param name="wait">How long to wait to be elected: zero (the default) tries once; null or <see cref="Timeout.InfiniteTimeSpan"/> waits until cancelled; at most <see cref="LockOptions.MaximumWait"/>.</param>
    /// <param name="ttl">Lease length, renewed by the leadership while held: within the backend's TTL range; null uses <see cref="LockOptions.DefaultTtl"/>.</param>
    /// <param name="cancellationToken">Stops the campaign; a candidacy already sent to the backend is withdrawn.</param>
    /// <returns>The leadership, or null when another candidate led throughout <paramref name="wait"/>.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="election"/> or <paramref name="value"/> is null.</exception>
    /// <exception cref="ArgumentException">The election name or the value is out of its range; the message says what is allowed.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="wait"/> is negative or too long, or <paramref name="ttl"/> is outside the backend's range.</exception>
    /// <exception cref="LockBackendException">The backend could not be reached or failed, or did not answer within the wait plus <see cref="LockOptions.ConnectTimeout"/>.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    /// <exception cref="ObjectDisposedException">The provider was disposed.</exception>
    Task<ILeadership?> TryCampaignAsync(string election, string value, TimeSpan wait = default, TimeSpan? ttl = null, CancellationToken cancellationToken = default);

    /// <summary>Who leads <paramref name="election"/> now, as the backend sees it; null when nobody does.</summary>
    /// <param name="election">Election name: 1 to 256 characters, no control characters.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The leader's value and term, or null.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="election"/> is null.</exception>
    /// <exception cref="ArgumentException">The election name is out of its range.</exception>
    /// <exception cref="LockBackendException">The backend could not be reached or failed, or did not answer within <see cref="LockOptions.ConnectTimeout"/>.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    /// <exception cref="ObjectDisposedException">The provider was disposed.</exception>
    Task<ElectionLeader?> GetLeaderAsync(string election, CancellationToken cancellationToken = default);

    /// <summary>
    /// The leader of <paramref name="election"/> now (once one is elected) and then each change, in order: a new
    /// leader (higher term) or a new value proclaimed by the same leader (same term). A stretch with no leader is not
    /// reported; the next leader is. Never reports a term lower than one it reported before. Ends when cancelled.
    /// </summary>
    /// <param name="election">Election name: 1 to 256 characters, no control characters.</param>
    /// <param name="cancellationToken">Ends the observation.</param>
    /// <returns>The leaders as they come.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="election"/> is null.</exception>
    /// <exception cref="ArgumentException">The election name is out of its range.</exception>
    /// <exception cref="LockBackendException">The backend could not be reached or failed (thrown from the enumeration).</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled (thrown from the enumeration).</exception>
    IAsyncEnumerable<ElectionLeader> ObserveAsync(string election, CancellationToken cancellationToken = default);
}
