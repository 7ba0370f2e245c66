using System.Collections.Concurrent;
using StackExchange.Redis;

namespace Coord.Locks.Redis;

/// <summary>
/// The one pub/sub channel of a provider on one Redis server: subscribed once, on the first wait, and
/// named in every queue entry this provider writes, so a release publishes to the provider whose waiter
/// it handed the lock to and no other. A message starts with the waiter's token; the waiter reads the rest.
/// </summary>
/// <remarks>
/// A provider whose process died has no subscriber on its channel, so <c>PUBLISH</c> returns 0 and the
/// release script skips to the next waiter: a dead waiter never holds the line.
/// </remarks>
internal sealed class RedisWakeChannel(string name, LockMetrics metrics)
{
    private readonly ConcurrentDictionary<string, IRedisWakeUpReader> _waiters = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _gate = new(1, 1);
    private ISubscriber? _subscriber;
    private volatile bool _subscribed;

    public string Name { get; } = name;

    public bool IsSubscribed => _subscribed;

    public async Task EnsureSubscribedAsync(ISubscriber subscriber, CancellationToken cancellationToken)
    {
        if (_subscribed)
            return;
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_subscribed)
                return;
            metrics.Request("subscribe");
            await subscriber.SubscribeAsync(RedisChannel.Literal(Name), (_, message) => Deliver((string?)message)).WaitAsync(cancellationToken).ConfigureAwait(false);
            _subscriber = subscriber;
            _subscribed = true;
        }
        finally
        {
            _gate.Release();
        }
    }

    public void Register(string token, IRedisWakeUpReader waiter) => _waiters[token] = waiter;

    public void Unregister(string token, IRedisWakeUpReader waiter) => _waiters.TryRemove(new KeyValuePair<string, IRedisWakeUpReader>(token, waiter));

    /// <summary>
    /// Passes a message (or an in-process hand-off, in the same format) to the waiter it names. A waiter
    /// that already left finds its hand-off through its own leave step, so nothing is lost by dropping it here.
    /// </summary>
    public void Deliver(string? message)
    {
        if (message is null || message.Length < RedisLock.TokenLength)
            return;
        if (_waiters.TryGetValue(message[..RedisLock.TokenLength], out var waiter))
            waiter.Read(message.AsSpan(RedisLock.TokenLength));
    }

    public async Task UnsubscribeAsync()
    {
        if (_subscriber is { } subscriber && _subscribed)
        {
            _subscribed = false;
            try
            {
                await subscriber.UnsubscribeAsync(RedisChannel.Literal(Name)).ConfigureAwait(false);
            }
            catch (RedisException)
            {
                // The connection is about to close, which ends the subscription anyway.
            }
        }
    }
}
