using System.Security.Cryptography;
using System.Text;

namespace Coord.Locks.Postgres;

/// <summary>
/// The SQL an election adds to the holds' engine (<see cref="PostgresSemaphoreStatements"/> of kind <c>elect</c>, which
/// elects: the leader is the one exclusive holder of the name, its fence the term): the candidates' values, the leader
/// read and the change notifications.
/// </summary>
/// <remarks>
/// Table <c>&lt;table&gt;_elect_values(name, holder, value, created_at)</c>: each candidate's value by holder token,
/// written before it joins the line, so a hand-off elects a candidate whose value is already there. A change of
/// leader or value is told by <c>NOTIFY</c> on the election's own channel (<see cref="ChannelOf"/>): the message is
/// only a nudge for observers to read again.
/// </remarks>
internal sealed class PostgresElectionStatements
{
    /// <summary>The kind of an election's hold tables (<c>&lt;table&gt;_elect</c>, ...).</summary>
    public const string Kind = "elect";

    private readonly string _table;

    public PostgresElectionStatements(string schema, string table, string holders, string waiters)
    {
        _table = table;
        var values = $"\"{schema}\".\"{table}_{Kind}_values\"";
        var announceFunction = $"\"{schema}\".\"{table}_{Kind}_announce_v1\"";

        TablesExist = $"to_regclass('{values}') IS NOT NULL AND to_regprocedure('{announceFunction}(text,uuid,text,text)') IS NOT NULL";

        CreateSchema = $$"""
            CREATE TABLE IF NOT EXISTS {{values}} (
              name text NOT NULL,
              holder uuid NOT NULL,
              value text NOT NULL,
              created_at timestamptz NOT NULL,
              PRIMARY KEY (name, holder));

            -- Sets p_token's value and tells the observers, only while p_token leads (its hold row is kept from expiring
            -- or being handed on by the row lock until this commits). False, changing nothing, when it does not.
            CREATE OR REPLACE FUNCTION {{announceFunction}}(p_name text, p_token uuid, p_value text, p_channel text)
            RETURNS boolean LANGUAGE plpgsql VOLATILE AS $coord$
            BEGIN
              PERFORM 1 FROM {{holders}} h WHERE h.name = p_name AND h.holder = p_token AND NOT h.shared AND h.expires_at > clock_timestamp() FOR SHARE;
              IF NOT FOUND THEN
                RETURN false;
              END IF;
              INSERT INTO {{values}} (name, holder, value, created_at) VALUES (p_name, p_token, p_value, clock_timestamp())
              ON CONFLICT (name, holder) DO UPDATE SET value = excluded.value;
              PERFORM pg_notify(p_channel, 'leader');
              RETURN true;
            END
            $coord$;
            """;

        // $1 name, $2 token, $3 value. Values of candidates that neither hold nor wait any more and were written over a
        // minute ago (they died or gave up) go on the way; the grace keeps those of candidates about to join the line.
        Nominate = $"""
            WITH pruned AS (
              DELETE FROM {values} v WHERE v.name = $1 AND v.holder <> $2 AND v.created_at < clock_timestamp() - interval '1 minute'
                 AND NOT EXISTS (SELECT 1 FROM {holders} h WHERE h.name = v.name AND h.holder = v.holder)
                 AND NOT EXISTS (SELECT 1 FROM {waiters} w WHERE w.name = v.name AND w.waiter = v.holder))
            INSERT INTO {values} (name, holder, value, created_at) VALUES ($1, $2, $3, clock_timestamp())
            ON CONFLICT (name, holder) DO UPDATE SET value = excluded.value, created_at = excluded.created_at
            """;

        // $1 name, $2 token, $3 value, $4 channel.
        Announce = $"SELECT {announceFunction}($1, $2, $3, $4)";

        // $1 name, $2 token, $3 channel.
        Forget = $"""
            WITH gone AS (DELETE FROM {values} v WHERE v.name = $1 AND v.holder = $2)
            SELECT pg_notify($3, 'leader')
            """;

        // $1 name: the leader's value and term, no row when nobody's lease runs.
        Leader = $"""
            SELECT v.value, h.fence FROM {holders} h JOIN {values} v ON v.name = h.name AND v.holder = h.holder
            WHERE h.name = $1 AND NOT h.shared AND h.expires_at > clock_timestamp()
            ORDER BY h.fence DESC LIMIT 1
            """;
    }

    public string TablesExist { get; }
    public string CreateSchema { get; }
    public string Nominate { get; }
    public string Announce { get; }
    public string Forget { get; }
    public string Leader { get; }

    /// <summary>
    /// The NOTIFY channel of <paramref name="election"/>: a digest of the table and the name, since a channel is an
    /// identifier of at most 63 bytes while a name may be 256 characters of any text.
    /// </summary>
    public string ChannelOf(string election)
    {
#pragma warning disable CA5351 // A channel name, not a protection: MD5 keeps it short and spread.
        var digest = MD5.HashData(Encoding.UTF8.GetBytes(_table + ":" + election));
#pragma warning restore CA5351
        return "coord_elect_" + Convert.ToHexStringLower(digest);
    }
}
