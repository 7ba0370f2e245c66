using StackExchange.Redis;

namespace Coord.Locks.Redis;

/// <summary>
/// The one pub/sub channel of a process on one Redis server (per key prefix), shared by every provider of
/// the process on that server: subscribed once, on the first wait, and named in every queue entry those
/// providers write, so a release publishes to the process whose waiter it handed the lock to and no other,
/// and a release that hands the lock to a waiter of its own process sends no message at all. A message
/// starts with the waiter's token; the waiter reads the rest.
/// </summary>
/// <remarks>
/// <para>
/// Providers built from the same configuration string share one channel, subscribed on a connection of its
/// own; providers given a connection share the channel of that connection. A process whose channel has no
/// subscriber left (it died) makes <c>PUBLISH</c> return 0, and the release script skips to the next
/// waiter: a dead waiter never holds the line.
/// </para>
/// <para>
/// The channel also knows which of its waiters wait for which lock, in the order they started, so a
/// release can offer the server the first waiter of its own process for a bounded local pass
/// (<see cref="Internal.LocalPassPolicy"/>).
/// </para>
/// </remarks>
internal sealed class RedisWakeChannel
{
    private static readonly Dictionary<(object Server, string Prefix), RedisWakeChannel> Shared = [];
    private static readonly Lock SharedGate = new();

    private readonly (object Server, string Prefix) _key;
    private readonly Func<CancellationToken, Task<IConnectionMultiplexer>> _connect;
    private readonly bool _ownsConnection;
    private readonly Lock _gate = new();
    private readonly Dictionary<string, IRedisWakeUpReader> _waiters = new(StringComparer.Ordinal);
    private readonly Dictionary<string, IRedisWakeUpReader>.AlternateLookup<ReadOnlySpan<char>> _waitersBySpan;
    private readonly Dictionary<string, List<string>> _lines = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _subscribeGate = new(1, 1);
    private IConnectionMultiplexer? _connection;
    private volatile bool _subscribed;
    private int _renters;

    private RedisWakeChannel((object Server, string Prefix) key, Func<CancellationToken, Task<IConnectionMultiplexer>> connect, bool ownsConnection)
    {
        _key = key;
        _connect = connect;
        _ownsConnection = ownsConnection;
        _waitersBySpan = _waiters.GetAlternateLookup<ReadOnlySpan<char>>();
        Name = key.Prefix + "wake:" + System.Security.Cryptography.RandomNumberGenerator.GetHexString(16, lowercase: true);
    }

    public string Name { get; }

    public bool IsSubscribed => _subscribed;

    /// <summary>
    /// The channel of this process for <paramref name="server"/> (a configuration string, or a connection
    /// the caller shares) and <paramref name="prefix"/>; every call must be matched by <see cref="ReturnAsync"/>.
    /// <paramref name="connect"/> opens the connection to subscribe on, when the first renter's waiter needs it;
    /// <paramref name="ownsConnection"/> says whether the channel closes it when the last renter leaves.
    /// </summary>
    public static RedisWakeChannel Rent(object server, string prefix, Func<CancellationToken, Task<IConnectionMultiplexer>> connect, bool ownsConnection)
    {
        lock (SharedGate)
        {
            if (!Shared.TryGetValue((server, prefix), out var channel))
                Shared[(server, prefix)] = channel = new RedisWakeChannel((server, prefix), connect, ownsConnection);
            channel._renters++;
            return channel;
        }
    }

    public async Task ReturnAsync()
    {
        lock (SharedGate)
        {
            if (--_renters > 0)
                return;
            Shared.Remove(_key);
        }
        // The last renter left; a provider made after this rents a new channel.
        if (_connection is not { } connection)
            return;
        if (_subscribed)
        {
            _subscribed = false;
            try
            {
                await connection.GetSubscriber().UnsubscribeAsync(RedisChannel.Literal(Name)).ConfigureAwait(false);
            }
            catch (RedisException)
            {
                // The connection is going away, which ends the subscription anyway.
            }
        }
        if (_ownsConnection)
            await connection.DisposeAsync().ConfigureAwait(false);
    }

    public async Task EnsureSubscribedAsync(LockMetrics metrics, CancellationToken cancellationToken)
    {
        if (_subscribed)
            return;
        await _subscribeGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_subscribed)
                return;
            _connection ??= await _connect(cancellationToken).ConfigureAwait(false);
            metrics.Request("subscribe");
            await _connection.GetSubscriber().SubscribeAsync(RedisChannel.Literal(Name), (_, message) => Deliver((string?)message, runWaiterHere: Thread.CurrentThread.IsThreadPoolThread))
                .WaitAsync(cancellationToken).ConfigureAwait(false);
            _subscribed = true;
        }
        finally
        {
            _subscribeGate.Release();
        }
    }

    /// <summary>Makes <paramref name="waiter"/> receive the messages for <paramref name="token"/>, and the first of <paramref name="lockKey"/>'s local line after those already in it.</summary>
    public void Register(string token, string lockKey, IRedisWakeUpReader waiter)
    {
        lock (_gate)
        {
            _waiters[token] = waiter;
            if (!_lines.TryGetValue(lockKey, out var line))
                _lines[lockKey] = line = [];
            line.Add(token);
        }
    }

    public void Unregister(string token, string lockKey, IRedisWakeUpReader waiter)
    {
        lock (_gate)
        {
            if (_waiters.TryGetValue(token, out var registered) && ReferenceEquals(registered, waiter))
                _waiters.Remove(token);
            if (_lines.TryGetValue(lockKey, out var line) && line.Remove(token) && line.Count == 0)
                _lines.Remove(lockKey);
        }
    }

    /// <summary>The waiter of this process that has waited longest for <paramref name="lockKey"/>, other than <paramref name="except"/>; empty when none.</summary>
    public string FirstWaiter(string lockKey, string except)
    {
        lock (_gate)
        {
            if (!_lines.TryGetValue(lockKey, out var line))
                return "";
            foreach (var token in line)
            {
                if (token != except)
                    return token;
            }
            return "";
        }
    }

    /// <summary>
    /// Passes a message (or an in-process hand-off, in the same format) to the waiter it names. A waiter
    /// that already left finds its hand-off through its own leave step, so nothing is lost by dropping it here.
    /// </summary>
    /// <param name="message">The message: the waiter's token, then what the waiter reads.</param>
    /// <param name="runWaiterHere">
    /// True from a message handler that the client library runs as a thread-pool work item of its own: the
    /// woken waiter goes on right there instead of taking one more hop through the pool, which is a
    /// measurable part of a hand-off between processes. (Never on the library's socket reader, which would
    /// stall every later message behind the waiter's code.)
    /// </param>
    public void Deliver(string? message, bool runWaiterHere = false)
    {
        if (message is null || message.Length < RedisLock.TokenLength)
            return;
        IRedisWakeUpReader? waiter;
        lock (_gate)
            _waitersBySpan.TryGetValue(message.AsSpan(0, RedisLock.TokenLength), out waiter);
        waiter?.Read(message.AsSpan(RedisLock.TokenLength), runWaiterHere);
    }
}
