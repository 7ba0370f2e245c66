using System.Runtime.CompilerServices;
using Npgsql;
using NpgsqlTypes;

namespace Coord.Locks.Postgres;

/// <summary>
/// The engine of <see cref="PostgresLeaderElection"/>: the candidates wait on the semaphore's engine
/// (<see cref="PostgresHolds"/>, tables of kind <c>elect</c>); beside it each candidate's value sits in
/// <c>&lt;TableName&gt;_elect_values</c>, and every change is told by <c>NOTIFY</c> on the election's own channel
/// (<see cref="PostgresElectionStatements"/>).
/// </summary>
internal sealed class PostgresCandidates : IElectionEngine
{
    private readonly PostgresHolds _holds;
    private readonly PostgresElectionStatements _sql;
    private readonly LockMetrics _metrics;

    /// <param name="options">The provider's validated options.</param>
    /// <param name="provider">The provider's metrics, clock and logger.</param>
    public PostgresCandidates(PostgresLockOptions options, HoldEngineServices provider)
    {
        var holds = new PostgresSemaphoreStatements(options.Schema, options.TableName, PostgresElectionStatements.Kind);
        _sql = new PostgresElectionStatements(options.Schema, options.TableName, holds.Holders, holds.Waiters);
        _holds = new PostgresHolds(options, holds, provider, _sql.CreateSchema, _sql.TablesExist);
        _metrics = provider.Metrics;
    }

    public IHoldEngine Holds => _holds;

    public Task NominateAsync(LockRequest request, string value, CancellationToken cancellationToken)
        => _holds.Database.ExecuteAsync("nominate", _sql.Nominate, async command =>
        {
            PostgresDatabase.Bind(command, request.Name, request.HolderToken);
            command.Parameters.Add(Text(value));
            return await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }, cancellationToken);

    public Task<bool> AnnounceAsync(string election, string holderToken, string value, CancellationToken cancellationToken)
        => _holds.Database.ExecuteAsync("announce", _sql.Announce, async command =>
        {
            PostgresDatabase.Bind(command, election, holderToken);
            command.Parameters.Add(Text(value));
            command.Parameters.Add(Text(_sql.ChannelOf(election)));
            return await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is true;
        }, cancellationToken);

    public Task ForgetAsync(string election, string holderToken, CancellationToken cancellationToken)
        => _holds.Database.ExecuteAsync("forget", _sql.Forget, async command =>
        {
            PostgresDatabase.Bind(command, election, holderToken);
            command.Parameters.Add(Text(_sql.ChannelOf(election)));
            return await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }, cancellationToken);

    public Task<ElectionLeader?> GetLeaderAsync(string election, CancellationToken cancellationToken)
        => _holds.Database.ExecuteAsync("leader", _sql.Leader, async command =>
        {
            command.Parameters.Add(Text(election));
            await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            return await reader.ReadAsync(cancellationToken).ConfigureAwait(false)
                ? new ElectionLeader(election, reader.GetString(0), reader.GetInt64(1))
                : null;
        }, cancellationToken);

    /// <remarks>
    /// LISTENs on the election's channel on a pooled connection of its own for as long as it observes, and reads the
    /// leader again on each notification and also every <see cref="PostgresLeaderElection.ObservePollInterval"/>: a
    /// leader whose lease simply ran out notifies nobody.
    /// </remarks>
    public async IAsyncEnumerable<ElectionLeader> ObserveAsync(string election, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        // The first read creates the tables if need be, before anything LISTENs.
        var leader = await GetLeaderAsync(election, cancellationToken).ConfigureAwait(false);
        _metrics.Request("observe");
        var connection = await _holds.Database.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            await using (var listen = new NpgsqlCommand($"LISTEN \"{_sql.ChannelOf(election)}\"", connection))
                await listen.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                // Read again once listening, so a change between the first read and the LISTEN is not missed.
                leader = await GetLeaderAsync(election, cancellationToken).ConfigureAwait(false);
                while (true)
                {
                    if (leader is not null)
                        yield return leader;
                    await connection.WaitAsync(PostgresLeaderElection.ObservePollInterval, cancellationToken).ConfigureAwait(false);
                    leader = await GetLeaderAsync(election, cancellationToken).ConfigureAwait(false);
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

    private static NpgsqlParameter Text(string value) => new() { NpgsqlDbType = NpgsqlDbType.Text, Value = value };
}
