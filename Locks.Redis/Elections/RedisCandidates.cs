using System.Runtime.CompilerServices;
using StackExchange.Redis;

namespace Coord.Locks.Redis;

/// <summary>
/// The engine of <see cref="RedisLeaderElection"/>: the candidates wait on the semaphore's engine (<see cref="RedisHolds"/>,
/// keys of kind <c>elect</c>); beside it each candidate's value sits in a hash by holder token, and every change is
/// published on the election's own channel (<see cref="RedisElectionKeys"/>, <see cref="RedisElectionScripts"/>).
/// </summary>
internal sealed class RedisCandidates : IElectionEngine
{
    private readonly RedisHolds _holds;
    private readonly LockMetrics _metrics;

    /// <param name="options">The provider's validated options.</param>
    /// <param name="provider">The provider's metrics, clock and logger.</param>
    public RedisCandidates(RedisLockOptions options, HoldEngineServices provider)
    {
        _holds = new RedisHolds(options, RedisElectionKeys.Kind, provider);
        _metrics = provider.Metrics;
    }

    public IHoldEngine Holds => _holds;

    public async Task NominateAsync(LockRequest request, string value, CancellationToken cancellationToken)
    {
        var db = await _holds.Server.ConnectAsync(cancellationToken).ConfigureAwait(false);
        _metrics.Request("nominate");
        await RedisElectionScripts.Nominate.EvaluateAsync(db, KeysOf(request.Name).All, [request.HolderToken, value]).WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    public async Task<bool> AnnounceAsync(string election, string holderToken, string value, CancellationToken cancellationToken)
    {
        var db = await _holds.Server.ConnectAsync(cancellationToken).ConfigureAwait(false);
        var keys = KeysOf(election);
        _metrics.Request("announce");
        var reply = await RedisElectionScripts.Announce.EvaluateAsync(db, keys.All, [holderToken, value, keys.ChangesName])
            .WaitAsync(cancellationToken).ConfigureAwait(false);
        return (long)reply == 1;
    }

    public async Task ForgetAsync(string election, string holderToken, CancellationToken cancellationToken)
    {
        var db = await _holds.Server.ConnectAsync(cancellationToken).ConfigureAwait(false);
        var keys = KeysOf(election);
        _metrics.Request("forget");
        await RedisElectionScripts.Forget.EvaluateAsync(db, keys.All, [holderToken, keys.ChangesName]).WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    public async Task<ElectionLeader?> GetLeaderAsync(string election, CancellationToken cancellationToken)
    {
        var db = await _holds.Server.ConnectAsync(cancellationToken).ConfigureAwait(false);
        return await ReadLeaderAsync(db, election, KeysOf(election), cancellationToken).ConfigureAwait(false);
    }

    /// <remarks>
    /// Subscribed to the election's channel, reads the leader again on each message and also every
    /// <see cref="RedisLeaderElection.ObservePollInterval"/>: a leader whose lease simply ran out publishes nothing.
    /// </remarks>
    public async IAsyncEnumerable<ElectionLeader> ObserveAsync(string election, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var keys = KeysOf(election);
        var db = await _holds.Server.ConnectAsync(cancellationToken).ConfigureAwait(false);
        using var changed = new SemaphoreSlim(0);
        void OnMessage(RedisChannel channel, RedisValue message)
        {
            if (changed.CurrentCount == 0)
                changed.Release();
        }
        var subscriber = db.Multiplexer.GetSubscriber();
        _metrics.Request("observe");
        // Subscribed before the first read, so no change after that read goes unheard.
        await subscriber.SubscribeAsync(keys.Changes, OnMessage).WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            while (true)
            {
                if (await ReadLeaderAsync(db, election, keys, cancellationToken).ConfigureAwait(false) is { } leader)
                    yield return leader;
                await changed.WaitAsync(RedisLeaderElection.ObservePollInterval, cancellationToken).ConfigureAwait(false);
            }
        }
        finally
        {
            await subscriber.UnsubscribeAsync(keys.Changes, OnMessage).ConfigureAwait(false);
        }
    }

    private async Task<ElectionLeader?> ReadLeaderAsync(IDatabase db, string election, RedisElectionKeys keys, CancellationToken cancellationToken)
    {
        _metrics.Request("leader");
        var reply = await RedisElectionScripts.Leader.EvaluateAsync(db, keys.All, []).WaitAsync(cancellationToken).ConfigureAwait(false);
        if (reply.IsNull)
            return null;
        var fields = (RedisResult[])reply!;
        return new ElectionLeader(election, (string)fields[0]!, (long)fields[1]);
    }

    /// <summary>The keys of <paramref name="election"/> under the provider's prefix.</summary>
    private RedisElectionKeys KeysOf(string election) => new(_holds.KeysOf(election), _holds.KeyPrefix);
}
