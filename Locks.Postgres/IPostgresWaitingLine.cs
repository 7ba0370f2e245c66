namespace Coord.Locks.Postgres;

/// <summary>
/// The round trips a <see cref="PostgresAttempt"/> makes: the PostgreSQL lock's or the semaphore's. Both
/// keep a FIFO line of waiters on the server, hand a freed hold straight to the first live waiter and
/// wake it through the process's shared <see cref="PostgresLockListener"/>, so the waiting itself is one code.
/// </summary>
internal interface IPostgresWaitingLine
{
    /// <summary>The first try of an acquire, which queues nothing: the grant, or null.</summary>
    Task<LockGrant?> TakeAsync(LockRequest request, CancellationToken cancellationToken);

    /// <summary>Takes the hold if it is the request's, else (with <paramref name="queue"/>) takes or refreshes its place in line, or leaves the line.</summary>
    Task<PostgresAcquireCall> CallAcquireAsync(LockRequest request, bool queue, int? listener, CancellationToken cancellationToken);

    /// <summary>Leaves the line and, when the token holds, releases and hands on: true when it held.</summary>
    Task<bool> ReleaseTokenAsync(string name, string holderToken, CancellationToken cancellationToken);

    /// <summary>The provider's connection side: its listener, and the bounded wait for it to LISTEN.</summary>
    PostgresDatabase Database { get; }
}
