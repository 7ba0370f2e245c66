using Coord.Locks.Redis;
using Microsoft.Extensions.Logging;
using StackExchange.Redis;

namespace Coord.Locks.RedLock;

/// <summary>
/// The RedLock algorithm over several independent Redis masters: a hold needs the same key set on a
/// majority of them within the lease's validity, so it survives the loss of a minority of masters.
/// <para>
/// <b>No fencing token.</b> Independent masters share no counter, and a master that restarts without
/// persistence forgets who held a key, so no number it could issue would be safe for a downstream
/// resource to trust. <see cref="ILock.SupportsFencing"/> is false and <see cref="ILockHandle.FencingToken"/>
/// throws. Pick the single-server Redis, etcd, ZooKeeper or PostgreSQL backend where stale holders
/// must be rejected.
/// </para>
/// </summary>
/// <remarks>
/// Each master holds the key layout of <see cref="RedisLockKeys"/>, with the holder token as the value,
/// so any client that knows the token can renew or release (as the REST service does). A waiter's first
/// vote already queues it on every master under one client-chosen ticket, so all masters agree on who is
/// first; a release hands each master's key to that waiter and tells only its process, on a channel of
/// the process's own on every master (a waiter of the releasing process may go first, a bounded number
/// of times in a row: <see cref="Internal.LocalPassPolicy"/>), and the waiter holds the lock once a majority have handed it
/// theirs (see <see cref="RedLockAttempt"/>). One "acquire" request in the metrics is one round of
/// parallel calls to all masters: an acquisition under contention costs two (the vote that queues, the
/// release).
/// </remarks>
public sealed class RedLockLock : LockProvider
{
    private readonly RedLockOptions _options;
    private readonly RedisConnection[] _masters;

    /// <summary>Creates the provider over <see cref="RedLockOptions.Masters"/>. It connects on first use, so unreachable masters show up from the first call, not here.</summary>
    /// <param name="options">Masters, key prefix and timing settings; validated here.</param>
    /// <param name="logger">Where the provider logs; null logs nothing.</param>
    /// <exception cref="ArgumentNullException"><paramref name="options"/> is null.</exception>
    /// <exception cref="ArgumentException">A setting in <paramref name="options"/> is missing or out of range; the message names it and what is allowed.</exception>
    public RedLockLock(RedLockOptions options, ILogger<RedLockLock>? logger = null)
        : base(options, logger)
    {
        _options = options;
        _masters = options.Masters.Select(m => new RedisConnection(m, null, -1, options.ConnectTimeout, options.KeyPrefix, Metrics, Logger)).ToArray();
    }

    /// <inheritdoc/>
    public override string Backend => "redlock";
    /// <inheritdoc/>
    public override string Endpoint => string.Join(",", _masters.Select(m => m.Endpoint));
    /// <inheritdoc/>
    public override bool SupportsFencing => false;

    internal IReadOnlyList<RedisConnection> Masters => _masters;

    /// <inheritdoc/>
    protected override Task<LockGrant?> AcquireCoreAsync(LockRequest request, CancellationToken cancellationToken)
        => new RedLockAttempt(request, this, new RedisLockKeys(_options.KeyPrefix, request.Name), _options, Logger, Time).AcquireAsync(cancellationToken);

    /// <inheritdoc/>
    protected override async Task<bool> RenewCoreAsync(string name, string holderToken, TimeSpan ttl, CancellationToken cancellationToken)
    {
        var keys = new RedisLockKeys(_options.KeyPrefix, name);
        Metrics.Request("renew");
        var ttlMs = (long)Math.Ceiling(ttl.TotalMilliseconds);
        var results = await FanOutAsync(db => RedisLockScripts.Renew.EvaluateAsync(db, [keys.Lock], [holderToken, ttlMs]), cancellationToken).ConfigureAwait(false);
        return results.Count(r => r is { } v && (long)v == 1) >= _options.Quorum;
    }

    /// <inheritdoc/>
    protected override Task<bool> ReleaseCoreAsync(string name, string holderToken, CancellationToken cancellationToken)
        => ReleaseOnMastersAsync(new RedisLockKeys(_options.KeyPrefix, name), holderToken, keepPlace: false, cancellationToken);

    /// <inheritdoc/>
    protected override async Task<LockStatus> GetStatusCoreAsync(string name, CancellationToken cancellationToken)
    {
        var keys = new RedisLockKeys(_options.KeyPrefix, name);
        Metrics.Request("status");
        var results = await FanOutAsync(async db => RedisResult.Create((RedisValue)(long)((await db.KeyTimeToLiveAsync(keys.Lock).ConfigureAwait(false))?.TotalMilliseconds ?? -1)), cancellationToken).ConfigureAwait(false);
        var remaining = results.Where(r => r is not null && (long)r! >= 0).Select(r => (long)r!).OrderDescending().ToArray();
        var held = remaining.Length >= _options.Quorum;
        return new LockStatus(name, held, held ? TimeSpan.FromMilliseconds(remaining[_options.Quorum - 1]) : null, null);
    }

    /// <summary>
    /// One vote round on every master; <paramref name="queue"/> also takes (or refreshes) the place in line
    /// where the vote fails. Returns each master's answer, null for a master that did not answer in time.
    /// <paramref name="connectWait"/> is how long a master's first connect may delay the round while no
    /// majority answered (the caller's remaining wait, at most the connect timeout).
    /// </summary>
    internal async Task<MasterVote?[]> VoteAsync(RedisLockKeys keys, string token, long ttlMs, bool queue, long ticket, TimeSpan connectWait, CancellationToken cancellationToken)
    {
        Metrics.Request("acquire");
        var placeLeaseMs = (long)_options.WaiterLease.TotalMilliseconds;
        var results = await FanOutAsync(
            async (db, master) =>
            {
                var reply = await RedLockScripts.Acquire.EvaluateAsync(db, keys.All, [token, ttlMs, placeLeaseMs, queue ? 1 : 0, ticket, master.WakeUps.Name]).ConfigureAwait(false);
                var fields = (RedisResult[])reply!;
                if ((long)fields[0] != 1)
                    HandOverInProcess(master, fields[2], RedisAttempt.ServerMicros(fields[3], fields[4]));
                return reply;
            },
            connectWait, cancellationToken).ConfigureAwait(false);
        var answered = results.Count(r => r is not null);
        if (answered < _options.Quorum)
            throw new TimeoutException(
                $"only {answered} of {_masters.Length} Redis masters answered in time; RedLock needs {_options.Quorum} to decide");
        var votes = new MasterVote?[results.Length];
        for (var i = 0; i < results.Length; i++)
        {
            if (results[i] is not { } result)
                continue;
            var reply = (RedisResult[])result!;
            if ((long)reply[0] == 1)
            {
                votes[i] = new MasterVote(true, 0, -1);
                continue;
            }
            votes[i] = new MasterVote(false, Math.Max(1, (long)reply[1]), RedisAttempt.ServerMicros(reply[3], reply[4]));
        }
        return votes;
    }

    /// <summary>Releases by token on every master (or gives back a minority of keys); true when a majority was held.</summary>
    internal async Task<bool> ReleaseOnMastersAsync(RedisLockKeys keys, string token, bool keepPlace, CancellationToken cancellationToken)
        => (await ReleaseEachAsync(keys, token, keepPlace, cancellationToken).ConfigureAwait(false)).Count(t => t >= 0) >= _options.Quorum;

    /// <summary>
    /// Releases by token on every master; returns, per master, the server time (microseconds) at which a
    /// key held by the token stopped being its own, or -1 where the token held nothing (or the master did
    /// not answer). Deleting a stale key of ours on a minority of masters does not mean we held the lock.
    /// </summary>
    internal async Task<long[]> ReleaseEachAsync(RedisLockKeys keys, string token, bool keepPlace, CancellationToken cancellationToken)
    {
        Metrics.Request("release");
        // Every master is offered the same waiter of this process for a local pass, so they hand their keys alike.
        var candidate = _masters[0].WakeUps.FirstWaiter(keys.Lock, token);
        var results = await FanOutAsync(
            async (db, master) =>
            {
                var reply = await RedLockScripts.Release.EvaluateAsync(db, keys.All, [token, master.WakeUps.Name, keepPlace ? 1 : 0, candidate]).ConfigureAwait(false);
                var fields = (RedisResult[])reply!;
                if ((long)fields[0] == 1)
                    HandOverInProcess(master, fields[1], RedisAttempt.ServerMicros(fields[2], fields[3]));
                return reply;
            },
            cancellationToken).ConfigureAwait(false);
        var released = new long[results.Length];
        for (var i = 0; i < results.Length; i++)
        {
            released[i] = -1;
            if (results[i] is not { } result)
                continue;
            var reply = (RedisResult[])result!;
            if ((long)reply[0] != 1)
                continue;
            released[i] = RedisAttempt.ServerMicros(reply[2], reply[3]);
        }
        return released;
    }

    /// <summary>
    /// Delivers a hand-off that a script gave to a waiter of this same process, where no message was sent:
    /// as soon as that master answers, not once every master has, so the waiter holds the lock when a
    /// majority handed it their keys instead of waiting for the slowest master.
    /// </summary>
    private static void HandOverInProcess(RedisConnection master, RedisResult token, long serverMicros)
    {
        if ((string?)token is { Length: > 0 } local)
            master.WakeUps.Deliver($"{local}:{serverMicros / 1_000_000}:{serverMicros % 1_000_000}");
    }

    private Task<RedisResult?[]> FanOutAsync(Func<IDatabase, Task<RedisResult>> call, CancellationToken cancellationToken)
        => FanOutAsync((db, _) => call(db), cancellationToken);

    private Task<RedisResult?[]> FanOutAsync(Func<IDatabase, RedisConnection, Task<RedisResult>> call, CancellationToken cancellationToken)
        => FanOutAsync(call, _options.MasterTimeout, cancellationToken);

    /// <summary>
    /// Runs <paramref name="call"/> on every master at once, each command bounded by the master timeout. A
    /// master that fails or is late gives null; only when every master fails does the error reach the caller.
    /// A master's first connect may take up to <paramref name="connectWait"/> (at least the master timeout:
    /// that is sized for one command, and a busy machine can take longer to open a first connection), but
    /// once a majority answered nobody waits for a master still connecting: a killed master can take the
    /// whole connect timeout to refuse, and its connect goes on, for the next round.
    /// </summary>
    private async Task<RedisResult?[]> FanOutAsync(Func<IDatabase, RedisConnection, Task<RedisResult>> call, TimeSpan connectWait, CancellationToken cancellationToken)
    {
        var calls = new Task<RedisResult>[_masters.Length];
        var connecting = false;
        for (var i = 0; i < calls.Length; i++)
        {
            connecting |= !_masters[i].IsConnected;
            calls[i] = CallOneAsync(_masters[i], call, cancellationToken);
        }
        var all = Task.WhenAll(calls);
        try
        {
            // Commands bound themselves; only a first connect needs the outer bound.
            await (connecting ? all.WaitAsync(_options.MasterTimeout, Time, cancellationToken) : all).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            // Only masters still making their first connection are late here; wait for them while no majority answered.
            await WaitForQuorumAsync(calls, all, connectWait - _options.MasterTimeout, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception) when (!cancellationToken.IsCancellationRequested && calls.Any(c => c.IsCompletedSuccessfully))
        {
            // Some masters answered; the votes of the rest count as no.
        }
        if (!calls.Any(c => c.IsCompletedSuccessfully) && all.IsFaulted)
            await all.ConfigureAwait(false);
        var results = new RedisResult?[calls.Length];
        for (var i = 0; i < calls.Length; i++)
            results[i] = calls[i].IsCompletedSuccessfully ? calls[i].Result : null;
        return results;
    }

    private async Task WaitForQuorumAsync(Task<RedisResult>[] calls, Task all, TimeSpan longest, CancellationToken cancellationToken)
    {
        var deadline = Time.GetTimestamp() + (long)(longest.TotalSeconds * Time.TimestampFrequency);
        while (!all.IsCompleted && calls.Count(c => c.IsCompletedSuccessfully) < _options.Quorum)
        {
            var left = Time.GetElapsedTime(Time.GetTimestamp(), deadline);
            if (left <= TimeSpan.Zero)
                return;
            try
            {
                await Task.WhenAny(calls.Where(c => !c.IsCompleted)).WaitAsync(left, Time, cancellationToken).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                return;
            }
        }
    }

    private async Task<RedisResult> CallOneAsync(RedisConnection master, Func<IDatabase, RedisConnection, Task<RedisResult>> call, CancellationToken cancellationToken)
    {
        var db = await master.ConnectAsync(cancellationToken).ConfigureAwait(false);
        return await call(db, master).WaitAsync(_options.MasterTimeout, Time, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc/>
    protected override async ValueTask DisposeCoreAsync()
    {
        foreach (var master in _masters)
            await master.DisposeAsync().ConfigureAwait(false);
    }
}
