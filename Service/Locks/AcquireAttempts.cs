using System.Collections.Concurrent;
using System.Text.RegularExpressions;
using Coord.Locks;

namespace Coord.Service.Locks;

/// <summary>
/// Acquires that a client named with an <c>attemptId</c>, so that it can take one back
/// (<c>DELETE /v1/lock-attempts/{attemptId}</c>) and know, once that is answered, that the service keeps
/// nothing for it: no place in a queue, no hold. Without this a client that gives up reports the
/// cancellation while the service has not yet noticed the closed request, and a release in that window
/// hands the lock to a waiter nobody is listening for; it then stays held for its whole TTL.
/// </summary>
/// <remarks>
/// An attempt in flight can be cancelled; one that was granted stays here for <see cref="Linger"/> after its
/// answer, because the client may have given up while the answer was on its way and never learnt the holder
/// token. A cancel that arrives before its acquire leaves a mark, so that acquire is refused when it comes.
/// Attempts live in one service instance's memory: a cancel must reach the instance that took the acquire
/// (the client sends both on its kept-alive connection).
/// </remarks>
internal sealed partial class AcquireAttempts : IDisposable
{
    /// <summary>How long a granted attempt, or a cancel that found nothing, is remembered.</summary>
    public static readonly TimeSpan Linger = TimeSpan.FromSeconds(30);

    /// <summary>How long a cancel waits for the acquire it stops to give back what it got.</summary>
    public static readonly TimeSpan CancelBound = TimeSpan.FromSeconds(10);

    public const string IdFormatDescription = "1 to 64 characters from A-Z, a-z, 0-9, '-' and '_'";

    private readonly ConcurrentDictionary<string, Attempt> _attempts = new(StringComparer.Ordinal);
    private readonly TimeProvider _time;
    private readonly ITimer _sweeper;

    public AcquireAttempts(TimeProvider time)
    {
        _time = time;
        _sweeper = time.CreateTimer(static state => ((AcquireAttempts)state!).Sweep(), this, Linger, Linger);
    }

    /// <summary>Attempts remembered now (in flight, recently granted, or cancelled before they came).</summary>
    public int Count => _attempts.Count;

    /// <summary>Throws <see cref="ArgumentException"/> when <paramref name="attemptId"/> is not a valid attempt id.</summary>
    public static void Validate(string attemptId, string field)
    {
        if (!IdFormat().IsMatch(attemptId))
            throw new ArgumentException($"{field} must be {IdFormatDescription} (a fresh random id per acquire request).");
    }

    /// <summary>
    /// Runs <paramref name="acquire"/> as the attempt <paramref name="attemptId"/>: cancelled when the request is
    /// aborted or the attempt taken back, and a grant that lands after it was taken back released before the
    /// cancel is answered. <c>TakenBack</c> is true when the attempt was taken back (before it came, or while it ran).
    /// </summary>
    public async Task<(LockLease? Lease, bool TakenBack)> RunAsync(
        string attemptId, string name, (string Kind, string Endpoint) backend,
        Func<CancellationToken, Task<LockLease?>> acquire, Func<string, CancellationToken, Task<bool>> release, CancellationToken requestAborted)
    {
        Validate(attemptId, "attemptId");
        if (Begin(attemptId, name, backend, release, requestAborted) is not { } attempt)
            return (null, true);
        try
        {
            LockLease? lease;
            try
            {
                lease = await acquire(attempt.Token);
            }
            catch (OperationCanceledException) when (!requestAborted.IsCancellationRequested)
            {
                return (null, true);
            }
            if (Complete(attempt, lease))
                return (lease, false);
            // Taken back while the grant was on its way: give it back before the cancel is answered.
            await release(lease!.HolderToken, CancellationToken.None);
            return (null, true);
        }
        finally
        {
            Finish(attempt);
        }
    }

    /// <summary>
    /// Registers an acquire about to start. Null when the attempt was cancelled before it came (the caller
    /// answers that and acquires nothing). Throws when an acquire with this id is already known.
    /// </summary>
    /// <param name="attemptId">The client's id of this request.</param>
    /// <param name="name">The lock or semaphore name, for messages.</param>
    /// <param name="backend">The backend kind and endpoint, for messages.</param>
    /// <param name="release">Releases a grant of this attempt by its holder token (the lock's or the semaphore's release).</param>
    /// <param name="requestAborted">The request's own cancellation.</param>
    private Attempt? Begin(string attemptId, string name, (string Kind, string Endpoint) backend, Func<string, CancellationToken, Task<bool>> release, CancellationToken requestAborted)
    {
        var attempt = new Attempt(attemptId, name, backend, release, requestAborted);
        if (_attempts.TryAdd(attemptId, attempt))
            return attempt;
        attempt.Dispose();
        if (_attempts.TryGetValue(attemptId, out var known) && known.IsCancelMark)
            return null;
        throw new ArgumentException($"attemptId '{attemptId}' was already used by another acquire; send a fresh id with every acquire request.");
    }

    /// <summary>
    /// Records how the acquire ended. False when the attempt was cancelled meanwhile: the caller must then
    /// release <paramref name="lease"/> itself (the cancel waits for that) and answer nothing useful.
    /// </summary>
    private bool Complete(Attempt attempt, LockLease? lease)
    {
        lock (attempt)
        {
            if (attempt.State == AttemptState.Cancelled)
                return false;
            if (lease is null)
            {
                attempt.State = AttemptState.Ended;
                _attempts.TryRemove(new KeyValuePair<string, Attempt>(attempt.Id, attempt));
                return true;
            }
            attempt.State = AttemptState.Granted;
            attempt.GrantedHolderToken = lease.HolderToken;
            attempt.Stamp = _time.GetTimestamp();
            return true;
        }
    }

    /// <summary>Marks the acquire's handler done, so a cancel waiting for it can answer.</summary>
    private void Finish(Attempt attempt)
    {
        lock (attempt)
        {
            if (attempt.State == AttemptState.InFlight)
            {
                // Failed with an exception: nothing was granted, so there is nothing to remember.
                attempt.State = AttemptState.Ended;
                _attempts.TryRemove(new KeyValuePair<string, Attempt>(attempt.Id, attempt));
            }
        }
        attempt.Finished.TrySetResult();
        attempt.Dispose();
    }

    /// <summary>
    /// Takes the attempt back: stops it if it is in flight and waits (bounded) until it has given back what it
    /// got, releases its hold if it was granted, or marks the id so an acquire that comes later is refused.
    /// </summary>
    public async Task CancelAsync(string attemptId, CancellationToken cancellationToken)
    {
        var mark = Attempt.CancelMark(attemptId, _time.GetTimestamp());
        var attempt = _attempts.GetOrAdd(attemptId, mark);
        if (ReferenceEquals(attempt, mark))
            return;
        AttemptState before;
        string? grantedToken;
        lock (attempt)
        {
            before = attempt.State;
            grantedToken = attempt.GrantedHolderToken;
            attempt.State = AttemptState.Cancelled;
            attempt.Stamp = _time.GetTimestamp();
        }
        switch (before)
        {
            case AttemptState.InFlight:
                attempt.CancelWait();
                try
                {
                    await attempt.Finished.Task.WaitAsync(CancelBound, _time, cancellationToken);
                }
                catch (TimeoutException ex)
                {
                    var (kind, endpoint) = attempt.Backend;
                    throw new LockBackendException(
                        $"'{attempt.Name}': the acquire with attemptId '{attemptId}' did not stop on the {kind} backend at {endpoint} within {CancelBound.TotalSeconds:0} s; what it may hold expires with its TTL.",
                        attempt.Name!, kind, endpoint, ex);
                }
                break;
            case AttemptState.Granted:
                await attempt.Release!(grantedToken!, cancellationToken);
                break;
        }
    }

    /// <summary>Forgets granted attempts and cancel marks older than <see cref="Linger"/>.</summary>
    private void Sweep()
    {
        foreach (var (id, attempt) in _attempts)
        {
            bool old;
            lock (attempt)
                old = attempt.State is AttemptState.Granted or AttemptState.Cancelled && _time.GetElapsedTime(attempt.Stamp) >= Linger;
            if (old)
                _attempts.TryRemove(new KeyValuePair<string, Attempt>(id, attempt));
        }
    }

    public void Dispose() => _sweeper.Dispose();

    internal enum AttemptState
    {
        InFlight,
        Ended,
        Granted,
        Cancelled,
    }

    /// <summary>One acquire request, or the mark a cancel leaves for an acquire that has not come yet.</summary>
    internal sealed class Attempt : IDisposable
    {
        private readonly CancellationTokenSource? _wait;

        internal Attempt(string id, string name, (string Kind, string Endpoint) backend, Func<string, CancellationToken, Task<bool>> release, CancellationToken requestAborted)
        {
            Id = id;
            Name = name;
            Backend = backend;
            Release = release;
            _wait = CancellationTokenSource.CreateLinkedTokenSource(requestAborted);
            Token = _wait.Token;
        }

        private Attempt(string id, long stamp)
        {
            Id = id;
            State = AttemptState.Cancelled;
            Stamp = stamp;
            Finished.TrySetResult();
        }

        internal static Attempt CancelMark(string id, long stamp) => new(id, stamp);

        public string Id { get; }
        internal string? Name { get; }
        internal (string Kind, string Endpoint) Backend { get; }
        internal Func<string, CancellationToken, Task<bool>>? Release { get; }
        internal bool IsCancelMark => Release is null;

        /// <summary>Cancelled when the request is aborted or the attempt is taken back.</summary>
        public CancellationToken Token { get; }

        internal AttemptState State { get; set; }
        internal string? GrantedHolderToken { get; set; }
        internal long Stamp { get; set; }
        internal TaskCompletionSource Finished { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        internal void CancelWait()
        {
            try
            {
                _wait?.Cancel();
            }
            catch (ObjectDisposedException)
            {
                // The handler finished meanwhile; Finished is already set.
            }
        }

        public void Dispose() => _wait?.Dispose();
    }

    [GeneratedRegex("^[A-Za-z0-9_-]{1,64}$", RegexOptions.CultureInvariant)]
    private static partial Regex IdFormat();
}
