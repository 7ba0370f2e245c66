using Microsoft.Extensions.Logging;

namespace Coord.Locks.Postgres;

/// <summary>
/// Leader elections on PostgreSQL. A campaign is an exclusive, one-holder hold of the election's name on the
/// <see cref="PostgresSemaphore"/>'s engine (<see cref="PostgresCandidates"/>, tables of kind <c>elect</c>): candidates wait
/// in one first-come, first-served line (woken through the process's shared LISTEN connection, as lock waiters are),
/// a resignation hands leadership straight to the next live candidate, and the hold's fence (a per-election counter row
/// that is never deleted) is the term, so every new leader's term is above every earlier one's. Beside the holds, each
/// candidate's value sits in <c>&lt;TableName&gt;_elect_values</c>, and every change (an election, a proclamation, a
/// resignation) is told by <c>NOTIFY</c> on the election's own channel (<see cref="PostgresElectionStatements.ChannelOf"/>).
/// </summary>
/// <remarks>
/// <para>
/// An observer LISTENs on that channel on a pooled connection of its own for as long as it observes, reads the
/// leader again on each notification and also every <see cref="ObservePollInterval"/>: a leader whose lease simply ran
/// out (its process died) notifies nobody, and the next leader announces itself only once its campaign returns.
/// </para>
/// <para>
/// Leases run on the server's clock; a leadership's validity is counted from before the statement that started its
/// lease and cut by the clock drift margin, so a leader that stops renewing (paused, cut off) hears
/// <see cref="ILeadership.Lost"/> before its lease runs out on the server, hence before anyone else can be elected.
/// </para>
/// </remarks>
public sealed class PostgresLeaderElection : LeaderElectionProvider
{
    /// <summary>How often an observer reads the leader again when no notification came: the bound on noticing a leader whose lease ran out.</summary>
    public static readonly TimeSpan ObservePollInterval = TimeSpan.FromSeconds(1);

    /// <summary>
    /// Creates the provider. It opens no connection here: statements borrow pooled connections on first
    /// use, so an unreachable server shows up as <see cref="LockBackendException"/> from the first call.
    /// </summary>
    /// <param name="options">Connection, table names and lease settings, as for <see cref="PostgresLock"/>; validated here.</param>
    /// <param name="logger">Where the provider logs; null logs nothing.</param>
    /// <exception cref="ArgumentNullException"><paramref name="options"/> is null.</exception>
    /// <exception cref="ArgumentException">A setting in <paramref name="options"/> is missing or out of range; the message names it and what is allowed.</exception>
    public PostgresLeaderElection(PostgresLockOptions options, ILogger<PostgresLeaderElection>? logger = null)
        : base(options, logger, PostgresHolds.Backend, provider => new PostgresCandidates(options, provider))
    {
    }
}
