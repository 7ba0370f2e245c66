using System.Runtime.CompilerServices;
using Microsoft.Extensions.Logging;
using Npgsql;
using NpgsqlTypes;

namespace Coord.Locks.Postgres;

/// <summary>
/// Leader elections on PostgreSQL. A campaign is an exclusive, one-holder hold of the election's name on the
/// <see cref="PostgresSemaphore"/>'s engine (<see cref="PostgresHolds"/>, tables of kind <c>elect</c>): candidates wait
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

    private readonly PostgresHolds _holds;
    private readonly PostgresElectionStatements _sql;

    /// <summary>
    /// Creates the provider. It opens no connection here: statements borrow pooled connections on first
    /// use, so an unreachable server shows up as <see cref="LockBackendException"/> from the first call.
    /// </summary>
    /// <param name="options">Connection, table names and lease settings, as for <see cref="PostgresLock"/>; validated here.</param>
    /// <param name="logger">Where the provider logs; null logs nothing.</param>
    /// <exception cref="ArgumentNullException"><paramref name="options"/> is null.</exception>
    /// <exception cref="ArgumentException">A setting in <paramref name="options"/> is missing or out of range; the message names it and what is allowed.</exception>
    public PostgresLeaderElection(PostgresLockOptions options, ILogger<PostgresLeaderElection>? logger = null)
        : base(options, logger)
    {
        var holds = new PostgresSemaphoreStatements(options.Schema, options.TableName, PostgresElectionStatements.Kind);
        _sql = new PostgresElectionStatements(options.Schema, options.TableName, holds.Holders, holds.Waiters);
        _holds = new PostgresHolds(options, holds, Metrics, Time, Logger, _sql.CreateSchema, _sql.TablesExist);
    }

    /// <inheritdoc/>
    public override string Backend => "postgres";

    /// <inheritdoc/>
    public override string Endpoint => _holds.Endpoint;

    /// <inheritdoc/>
    protected override async Task<LockGrant?> CampaignCoreAsync(LockRequest request, string value, CancellationToken cancellationToken)
    {
        await _holds.Database.ExecuteAsync("nominate", _sql.Nominate, async command =>
        {
            PostgresDatabase.Bind(command, request.Name, request.HolderToken);
            command.Parameters.Add(Text(value));
            return await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }, cancellationToken).ConfigureAwait(false);
        var grant = await _holds.AcquireAsync(request, cancellationToken).ConfigureAwait(false);
        if (grant is not null)
            await AnnounceAsync(request.Name, request.HolderToken, value, cancellationToken).ConfigureAwait(false);
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
        var resigned = await _holds.ReleaseTokenAsync(election, holderToken, cancellationToken).ConfigureAwait(false);
        await ForgetAsync(election, holderToken, cancellationToken).ConfigureAwait(false);
        return resigned;
    }

    /// <inheritdoc/>
    protected override Task<bool> ProclaimCoreAsync(string election, string holderToken, string value, CancellationToken cancellationToken)
        => AnnounceAsync(election, holderToken, value, cancellationToken);

    /// <inheritdoc/>
    protected override Task<ElectionLeader?> GetLeaderCoreAsync(string election, CancellationToken cancellationToken)
        => _holds.Database.ExecuteAsync("leader", _sql.Leader, async command =>
        {
            command.Parameters.Add(Text(election));
            await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            return await reader.ReadAsync(cancellationToken).ConfigureAwait(false)
                ? new ElectionLeader(election, reader.GetString(0), reader.GetInt64(1))
                : null;
        }, cancellationToken);

    /// <inheritdoc/>
    protected override async IAsyncEnumerable<ElectionLeader> ObserveCoreAsync(string election, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        // The first read creates the tables if need be, before anything LISTENs.
        var leader = await GetLeaderCoreAsync(election, cancellationToken).ConfigureAwait(false);
        Metrics.Request("observe");
        var connection = await _holds.Database.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            await using (var listen = new NpgsqlCommand($"LISTEN \"{_sql.ChannelOf(election)}\"", connection))
                await listen.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                // Read again once listening, so a change between the first read and the LISTEN is not missed.
                leader = await GetLeaderCoreAsync(election, cancellationToken).ConfigureAwait(false);
                while (true)
                {
                    if (leader is not null)
                        yield return leader;
                    await connection.WaitAsync(ObservePollInterval, cancellationToken).ConfigureAwait(false);
                    leader = await GetLeaderCoreAsync(election, cancellationToken).ConfigureAwait(false);
                }
            }
            finally
            {
                // Going back to the pool: leave no LISTEN behind (unless the connection broke, when it is not reused).
                if (connection.FullState == System.Data.ConnectionState.Open)
                {
                    await using var unlisten = new NpgsqlCommand("UNLISTEN *", connection);
                    await unlisten.ExecuteNonQueryAsync(CancellationToken.None).ConfigureAwait(false);
                }
            }
        }
    }

    private Task<bool> AnnounceAsync(string election, string holderToken, string value, CancellationToken cancellationToken)
        => _holds.Database.ExecuteAsync("announce", _sql.Announce, async command =>
        {
            PostgresDatabase.Bind(command, election, holderToken);
            command.Parameters.Add(Text(value));
            command.Parameters.Add(Text(_sql.ChannelOf(election)));
            return await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is true;
        }, cancellationToken);

    private Task<int> ForgetAsync(string election, string holderToken, CancellationToken cancellationToken)
        => _holds.Database.ExecuteAsync("forget", _sql.Forget, async command =>
        {
            PostgresDatabase.Bind(command, election, holderToken);
            command.Parameters.Add(Text(_sql.ChannelOf(election)));
            return await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }, cancellationToken);

    private static NpgsqlParameter Text(string value) => new() { NpgsqlDbType = NpgsqlDbType.Text, Value = value };

    /// <inheritdoc/>
    protected override ValueTask DisposeCoreAsync() => _holds.DisposeAsync();
}
