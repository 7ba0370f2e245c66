using System.Collections.Concurrent;
using System.Globalization;
using StackExchange.Redis;

namespace Coord.Locks.Redis;

/// <summary>
/// This provider's subscriptions to hand-off channels, one per lock name with waiters, shared by all
/// of that name's waiters here. A message names the waiter that was handed the lock, so exactly one
/// waiter wakes per release. A subscription lingers a little after its last waiter leaves, because a
/// client that waits once under contention usually waits again at once.
/// </summary>
internal sealed class RedisWakeUps(ISubscriber subscriber, LockMetrics metrics, TimeProvider time) : IAsyncDisposable
{
    private static readonly TimeSpan Linger = TimeSpan.FromSeconds(10);
    private readonly ConcurrentDictionary<string, Channel> _channels = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _gate = new(1, 1);

    /// <summary>True when a subscription for this channel is already live, so a waiter can enqueue on its first attempt.</summary>
    public bool IsSubscribed(string channel) => _channels.TryGetValue(channel, out var c) && c.Subscribed;

    /// <summary>Registers <paramref name="waiter"/> under its token and makes sure the channel is subscribed before it returns.</summary>
    public async Task<IAsyncDisposable> JoinAsync(string channel, RedisWaiter waiter, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var entry = _channels.GetOrAdd(channel, static _ => new Channel());
            entry.Waiters[waiter.Token] = waiter;
            entry.Users++;
            entry.LingerVersion++;
            if (!entry.Subscribed)
            {
                metrics.Request("subscribe");
                await subscriber.SubscribeAsync(RedisChannel.Literal(channel), (_, message) => Deliver(entry, message)).WaitAsync(cancellationToken).ConfigureAwait(false);
                entry.Subscribed = true;
            }
            return new Membership(this, channel, entry, waiter.Token);
        }
        finally
        {
            _gate.Release();
        }
    }

    private static void Deliver(Channel entry, RedisValue message)
    {
        var text = (string?)message;
        var colon = text?.LastIndexOf(':') ?? -1;
        if (colon <= 0)
            return;
        var token = text![..colon];
        if (entry.Waiters.TryGetValue(token, out var waiter) && long.TryParse(text.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var fence))
            waiter.HandOff(fence);
    }

    private async Task LeaveAsync(string channel, Channel entry, string token)
    {
        int version;
        await _gate.WaitAsync().ConfigureAwait(false);
        try
        {
            entry.Waiters.TryRemove(token, out _);
            if (--entry.Users > 0)
                return;
            version = ++entry.LingerVersion;
        }
        finally
        {
            _gate.Release();
        }

        _ = Task.Run(async () =>
        {
            try
            {
                await Task.Delay(Linger, time).ConfigureAwait(false);
                await _gate.WaitAsync().ConfigureAwait(false);
                try
                {
                    if (entry.Users > 0 || entry.LingerVersion != version || !entry.Subscribed)
                        return;
                    entry.Subscribed = false;
                    _channels.TryRemove(channel, out _);
                    metrics.Request("unsubscribe");
                    await subscriber.UnsubscribeAsync(RedisChannel.Literal(channel)).ConfigureAwait(false);
                }
                finally
                {
                    _gate.Release();
                }
            }
            catch (Exception)
            {
                // A subscription left behind costs one idle channel; the connection closes with the provider.
            }
        });
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var channel in _channels.Keys)
        {
            try
            {
                await subscriber.UnsubscribeAsync(RedisChannel.Literal(channel)).ConfigureAwait(false);
            }
            catch (Exception)
            {
                // The connection is about to close, which ends the subscription anyway.
            }
        }
        _channels.Clear();
    }

    private sealed class Channel
    {
        public readonly ConcurrentDictionary<string, RedisWaiter> Waiters = new(StringComparer.Ordinal);
        public int Users;
        public int LingerVersion;
        public volatile bool Subscribed;
    }

    private sealed class Membership(RedisWakeUps owner, string channel, Channel entry, string token) : IAsyncDisposable
    {
        private int _left;

        public ValueTask DisposeAsync()
            => Interlocked.Exchange(ref _left, 1) == 0 ? new ValueTask(owner.LeaveAsync(channel, entry, token)) : ValueTask.CompletedTask;
    }
}
