namespace Coord.Locks.Postgres;

/// <summary>
/// The SQL behind <see cref="PostgresLock"/>, one statement per operation so that each is a single
/// round trip and a single transaction. Time is only ever the server's <c>clock_timestamp()</c>.
/// </summary>
/// <remarks>
/// <para>Tables: <c>locks(name, holder, fence, expires_at)</c>, one row per name that is never deleted, so
/// <c>fence</c> only grows; and <c>waiters(name, waiter, seq, ttl_ms, expires_at)</c>, the FIFO queue
/// (by <c>seq</c>), each entry with its own place lease so a dead waiter drops out.</para>
/// <para>Every writer locks the name's row in <c>locks</c> before it touches that name's waiter rows,
/// so concurrent acquires and releases of one name serialise on that row and never deadlock.</para>
/// </remarks>
internal sealed class PostgresLockStatements
{
    public PostgresLockStatements(string schema, string table)
    {
        var locks = $"\"{schema}\".\"{table}\"";
        var waiters = $"\"{schema}\".\"{table}_waiters\"";
        Channel = $"{schema}.{table}";
        ListenChannel = $"LISTEN \"{Channel}\"";

        TablesExist = $"SELECT to_regclass('{locks}') IS NOT NULL AND to_regclass('{waiters}') IS NOT NULL";

        CreateSchema = $"""
            SELECT pg_advisory_xact_lock({SchemaLockKey});
            CREATE SCHEMA IF NOT EXISTS "{schema}";
            CREATE TABLE IF NOT EXISTS {locks} (
              name text PRIMARY KEY,
              holder uuid NULL,
              fence bigint NOT NULL,
              expires_at timestamptz NULL);
            CREATE TABLE IF NOT EXISTS {waiters} (
              name text NOT NULL,
              waiter uuid NOT NULL,
              seq bigint GENERATED ALWAYS AS IDENTITY,
              ttl_ms bigint NOT NULL,
              expires_at timestamptz NOT NULL,
              PRIMARY KEY (name, waiter));
            CREATE INDEX IF NOT EXISTS "{table}_waiters_queue" ON {waiters} (name, seq);
            """;

        // $1 name, $2 token, $3 ttl ms, $4 place lease ms, $5 join the queue when not taken.
        // A free (or expired) lock goes to a newcomer only when no live waiter is ahead of it, so a
        // releaser asking again cannot barge. A token that already holds (a hand-off whose NOTIFY was
        // missed) gets its lease extended and keeps its fence. Returns the fence when held, else the
        // milliseconds until the current lease ends (the fallback retry time).
        Acquire = $"""
            WITH now AS MATERIALIZED (SELECT clock_timestamp() AS t),
            mine AS (SELECT w.seq FROM {waiters} w WHERE w.name = $1 AND w.waiter = $2),
            ahead AS (
              SELECT 1 FROM {waiters} w, now
              WHERE w.name = $1 AND w.waiter <> $2 AND w.expires_at > now.t
                AND w.seq < COALESCE((SELECT seq FROM mine), 9223372036854775807)
              LIMIT 1),
            took AS (
              INSERT INTO {locks} AS l (name, holder, fence, expires_at)
              SELECT $1, $2, 1, now.t + $3 * interval '1 millisecond' FROM now
              ON CONFLICT (name) DO UPDATE
                SET fence = CASE WHEN l.holder = excluded.holder THEN l.fence ELSE l.fence + 1 END,
                    holder = excluded.holder,
                    expires_at = excluded.expires_at
                WHERE l.holder = excluded.holder
                   OR ((l.holder IS NULL OR l.expires_at <= (SELECT t FROM now)) AND NOT EXISTS (SELECT 1 FROM ahead))
              RETURNING l.fence),
            dequeued AS (DELETE FROM {waiters} w WHERE w.name = $1 AND w.waiter = $2 AND EXISTS (SELECT 1 FROM took)),
            queued AS (
              INSERT INTO {waiters} (name, waiter, ttl_ms, expires_at)
              SELECT $1, $2, $3, now.t + $4 * interval '1 millisecond' FROM now
              WHERE $5 AND NOT EXISTS (SELECT 1 FROM took)
              ON CONFLICT (name, waiter) DO UPDATE SET ttl_ms = excluded.ttl_ms, expires_at = excluded.expires_at)
            SELECT (SELECT fence FROM took),
                   (SELECT GREATEST(0, CEIL(EXTRACT(EPOCH FROM (l.expires_at - now.t)) * 1000))::bigint
                      FROM {locks} l, now WHERE l.name = $1 AND l.holder IS NOT NULL)
            """;

        // $1 name, $2 token, $3 channel. Leaves the queue (a waiter giving up) and, when the token holds
        // the lock, hands it straight to the first live waiter (new holder, fence + 1, its TTL) or frees
        // it, then notifies "h:<token>:<fence>" or "f:<name>". Returns a row only when the token held.
        Release = $"""
            WITH now AS MATERIALIZED (SELECT clock_timestamp() AS t),
            left_queue AS (DELETE FROM {waiters} w WHERE w.name = $1 AND w.waiter = $2),
            cur AS MATERIALIZED (SELECT l.name FROM {locks} l WHERE l.name = $1 AND l.holder = $2 FOR UPDATE),
            purged AS (
              DELETE FROM {waiters} w USING now
              WHERE w.name = $1 AND w.expires_at <= now.t AND EXISTS (SELECT 1 FROM cur)),
            head AS (
              SELECT w.waiter FROM {waiters} w, now
              WHERE w.name = $1 AND w.waiter <> $2 AND w.expires_at > now.t AND EXISTS (SELECT 1 FROM cur)
              ORDER BY w.seq LIMIT 1),
            taken AS (
              DELETE FROM {waiters} w WHERE w.name = $1 AND w.waiter = (SELECT waiter FROM head)
              RETURNING w.waiter, w.ttl_ms),
            released AS (
              UPDATE {locks} l SET
                holder = (SELECT waiter FROM taken),
                fence = l.fence + (SELECT count(*) FROM taken),
                expires_at = (SELECT now.t + taken.ttl_ms * interval '1 millisecond' FROM taken, now)
              FROM cur WHERE l.name = cur.name
              RETURNING l.holder, l.fence)
            SELECT r.fence, pg_notify($3, CASE WHEN r.holder IS NULL THEN 'f:' || $1
                                              ELSE 'h:' || replace(r.holder::text, '-', '') || ':' || r.fence END) IS NULL
            FROM released r
            """;

        // $1 name, $2 token, $3 ttl ms. Only a lease that has not yet run out is extended.
        Renew = $"""
            UPDATE {locks} SET expires_at = clock_timestamp() + $3 * interval '1 millisecond'
            WHERE name = $1 AND holder = $2 AND expires_at > clock_timestamp()
            """;

        // $1 name. Held?, milliseconds left, latest fence; never the holder.
        Status = $"""
            SELECT l.holder IS NOT NULL AND l.expires_at > now.t,
                   CASE WHEN l.holder IS NOT NULL AND l.expires_at > now.t
                        THEN CEIL(EXTRACT(EPOCH FROM (l.expires_at - now.t)) * 1000)::bigint END,
                   l.fence
            FROM {locks} l, (SELECT clock_timestamp() AS t) now WHERE l.name = $1
            """;
    }

    /// <summary>Advisory lock key that serialises schema creation across processes (the ASCII of "coordlck").</summary>
    public const long SchemaLockKey = 0x636f6f72646c636b;

    /// <summary>The NOTIFY channel of this table: <c>schema.table</c>.</summary>
    public string Channel { get; }

    public string ListenChannel { get; }
    public string TablesExist { get; }
    public string CreateSchema { get; }
    public string Acquire { get; }
    public string Release { get; }
    public string Renew { get; }
    public string Status { get; }
}
