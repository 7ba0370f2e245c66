using System.Runtime.CompilerServices;
using Microsoft.Extensions.Logging;
using StackExchange.Redis;

namespace Coord.Locks.Redis;

/// <summary>
/// Leader elections on one Redis server (or a primary with replicas). A campaign is an exclusive, one-holder hold of
/// the election's name on the Redis semaphore's engine (<see cref="RedisHolds"/>, keys of kind <c>elect</c>): the
/// candidates wait in one first-come, first-served line, a resignation hands leadership straight to the next live
/// candidate, and the hold's fencing token (one counter per election that never expires) is the term, so every new
/// leader's term is above every earlier one's. Beside the hold, each candidate's value sits in a hash by holder token,
/// and every change (an election, a proclamation, a resignation) is published on the election's own channel.
/// </summary>
/// <remarks>
/// <para>
/// Observers subscribe to that channel and read the leader again on each message, and also every
/// <see cref="ObservePollInterval"/>: a leader whose lease simply ran out (its process died) publishes nothing, and the
/// next leader announces itself only once its campaign returns. No keyspace notifications are needed.
/// </para>
/// <para>
/// A leadership's validity is counted from before the request that started its lease and cut by the clock drift
/// margin, so a leader that stops renewing (paused, cut off) hears <see cref="ILeadership.Lost"/> before its lease
/// runs out on the server, hence before anyone else can be elected. Terms are safe as long as the counter key survives
/// (persistence and <c>maxmemory-policy noeviction</c>, as for <see cref="RedisLock"/>).
/// </para>
/// </remarks>
public sealed class RedisLeaderElection : LeaderElectionProvider
{
    /// <summary>How often an observer reads the leader again when no message came: the bound on noticing a leader whose lease ran out.</summary>
    public static readonly TimeSpan ObservePollInterval = TimeSpan.FromSeconds(1);

    private readonly RedisHolds _holds;
    private readonly string _prefix;

    /// <summary>Creates the provider. It connects on first use, so an unreachable server shows up as <see cref="LockBackendException"/> from the first call, not here.</summary>
    /// <param name="options">Server, key prefix and lease settings, as for <see cref="RedisLock"/>; validated here.</param>
    /// <param name="logger">Where the provider logs; null logs nothing.</param>
    /// <exception cref="ArgumentNullException"><paramref name="options"/> is null.</exception>
    /// <exception cref="ArgumentException">A setting in <paramref name="options"/> is missing or out of range; the message names it and what is allowed.</exception>
    public RedisLeaderElection(RedisLockOptions options, ILogger<RedisLeaderElection>? logger = null)
        : base(options, logger)
    {
        _holds = new RedisHolds(options, RedisElectionKeys.Kind, Metrics, Time, Logger);
        _prefix = options.KeyPrefix;
    }

    /// <inheritdoc/>
    public override string Backend => "redis";

    /// <inheritdoc/>
    public override string Endpoint => _holds.Endpoint;

    // Every command times out in the client library (AsyncTimeout), and waiters stop at their wait.
    /// <inheritdoc/>
    protected override bool BoundsEveryCall => true;

    /// <inheritdoc/>
    protected override async Task<LockGrant?> CampaignCoreAsync(LockRequest request, string value, CancellationToken cancellationToken)
    {
        var keys = KeysOf(request.Name);
        var db = await _holds.Server.ConnectAsync(cancellationToken).ConfigureAwait(false);
        Metrics.Request("nominate");
        await RedisElectionScripts.Nominate.EvaluateAsync(db, keys.All, [request.HolderToken, value]).WaitAsync(cancellationToken).ConfigureAwait(false);
        var grant = await _holds.AcquireAsync(request, cancellationToken).ConfigureAwait(false);
        if (grant is not null)
            await AnnounceAsync(db, keys, request.HolderToken, value, cancellationToken).ConfigureAwait(false);
        return grant;
    }

    /// <inheritdoc/>
    protected override async Task AbandonCampaignAsync(LockRequest request, CancellationToken cancellationToken)
    {
        await base.AbandonCampaignAsync(request, cancellationToken).ConfigureAwait(false);
        await ForgetAsync(request.Name, request.HolderToken, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc/>
    protected override Task<bool> RenewCoreAsync(string election, string holderToken, TimeSpan ttl, CancellationToken cancellationToken)
        => _holds.RenewAsync(election, holderToken, ttl, cancellationToken);

    /// <inheritdoc/>
    protected override async Task<bool> ResignCoreAsync(string election, string holderToken, CancellationToken cancellationToken)
    {
        var resigned = await _holds.ReleaseAsync(election, holderToken, cancellationToken).ConfigureAwait(false);
        await ForgetAsync(election, holderToken, cancellationToken).ConfigureAwait(false);
        return resigned;
    }

    /// <inheritdoc/>
    protected override async Task<bool> ProclaimCoreAsync(string election, string holderToken, string value, CancellationToken cancellationToken)
    {
        var db = await _holds.Server.ConnectAsync(cancellationToken).ConfigureAwait(false);
        return await AnnounceAsync(db, KeysOf(election), holderToken, value, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc/>
    protected override async Task<ElectionLeader?> GetLeaderCoreAsync(string election, CancellationToken cancellationToken)
    {
        var db = await _holds.Server.ConnectAsync(cancellationToken).ConfigureAwait(false);
        return await ReadLeaderAsync(db, election, KeysOf(election), cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc/>
    protected override async IAsyncEnumerable<ElectionLeader> ObserveCoreAsync(string election, [EnumeratorCancellation] CancellationToken cancellationToken)
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
        Metrics.Request("observe");
        // Subscribed before the first read, so no change after that read goes unheard.
        await subscriber.SubscribeAsync(keys.Changes, OnMessage).WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            while (true)
            {
                if (await ReadLeaderAsync(db, election, keys, cancellationToken).ConfigureAwait(false) is { } leader)
                    yield return leader;
                await changed.WaitAsync(ObservePollInterval, cancellationToken).ConfigureAwait(false);
            }
        }
        finally
        {
            await subscriber.UnsubscribeAsync(keys.Changes, OnMessage).ConfigureAwait(false);
        }
    }

    private async Task<ElectionLeader?> ReadLeaderAsync(IDatabase db, string election, RedisElectionKeys keys, CancellationToken cancellationToken)
    {
        Metrics.Request("leader");
        var reply = await RedisElectionScripts.Leader.EvaluateAsync(db, keys.All, []).WaitAsync(cancellationToken).ConfigureAwait(false);
        if (reply.IsNull)
            return null;
        var fields = (RedisResult[])reply!;
        return new ElectionLeader(election, (string)fields[0]!, (long)fields[1]);
    }

    private async Task<bool> AnnounceAsync(IDatabase db, RedisElectionKeys keys, string holderToken, string value, CancellationToken cancellationToken)
    {
        Metrics.Request("announce");
        var reply = await RedisElectionScripts.Announce.EvaluateAsync(db, keys.All, [holderToken, value, keys.ChangesName])
            .WaitAsync(cancellationToken).ConfigureAwait(false);
        return (long)reply == 1;
    }

    private async Task ForgetAsync(string election, string holderToken, CancellationToken cancellationToken)
    {
        var db = await _holds.Server.ConnectAsync(cancellationToken).ConfigureAwait(false);
        var keys = KeysOf(election);
        Metrics.Request("forget");
        await RedisElectionScripts.Forget.EvaluateAsync(db, keys.All, [holderToken, keys.ChangesName]).WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The keys of <paramref name="election"/> under this provider's prefix.</summary>
    internal RedisElectionKeys KeysOf(string election) => new(_holds.KeysOf(election), _prefix);

    /// <inheritdoc/>
    protected override ValueTask DisposeCoreAsync() => _holds.DisposeAsync();
}
