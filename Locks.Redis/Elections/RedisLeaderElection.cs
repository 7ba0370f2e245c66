using Microsoft.Extensions.Logging;

namespace Coord.Locks.Redis;

/// <summary>
/// Leader elections on one Redis server (or a primary with replicas). A campaign is an exclusive, one-holder hold of
/// the election's name on the Redis semaphore's engine (<see cref="RedisCandidates"/>, keys of kind <c>elect</c>): the
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

    /// <summary>Creates the provider. It connects on first use, so an unreachable server shows up as <see cref="LockBackendException"/> from the first call, not here.</summary>
    /// <param name="options">Server, key prefix and lease settings, as for <see cref="RedisLock"/>; validated here.</param>
    /// <param name="logger">Where the provider logs; null logs nothing.</param>
    /// <exception cref="ArgumentNullException"><paramref name="options"/> is null.</exception>
    /// <exception cref="ArgumentException">A setting in <paramref name="options"/> is missing or out of range; the message names it and what is allowed.</exception>
    public RedisLeaderElection(RedisLockOptions options, ILogger<RedisLeaderElection>? logger = null)
        : base(options, logger, RedisHolds.Backend, provider => new RedisCandidates(options, provider))
    {
    }
}
