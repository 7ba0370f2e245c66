namespace Coord.Locks.Postgres;

/// <summary>
/// The SQL behind <see cref="PostgresLock"/>, one statement per operation so that each is a single
/// round trip and a single transaction. Time is only ever the server's <c>clock_timestamp()</c>.
/// </summary>
/// <remarks>
/// <para>Tables: <c>locks(name, holder, fence, expires_at)</c>, one row per name that is never deleted, so
/// <c>fence</c> only grows; and <c>waiters(name, waiter, seq, ttl_ms, expires_at, listener)</c>, the FIFO
/// queue (by <c>seq</c>), each entry with its own place lease so a dead waiter drops out, and the backend
/// pid of its process's LISTEN connection: the channel its hand-off goes to, and its sign of life (a
/// killed process's connection ends at once, and with it the advisory lock it held, so its waiters are
/// passed over without waiting out their lease).</para>
/// <para>Every writer locks the name's row in <c>locks</c> before it touches that name's waiter rows,
/// so concurrent acquires and releases of one name serialise on that row and never deadlock. A row
/// lock taken under READ COMMITTED yields the row's latest version, so a statement that locks the row
/// always sees a hand-off that committed while it waited.</para>
/// </remarks>
internal sealed class PostgresLockStatements
{
    /// <summary>Prefix of the channel a listener connection LISTENs on for hand-offs: <c>coord_lock_&lt;backend pid&gt;</c>.</summary>
    public const string ListenerChannelPrefix = "coord_lock_";

    public PostgresLockStatements(string schema, string table)
    {
        var locks = $"\"{schema}\".\"{table}\"";
        var waiters = $"\"{schema}\".\"{table}_waiters\"";
        Channel = $"{schema}.{table}";

        TablesExist = $"""
            SELECT to_regclass('{locks}') IS NOT NULL AND EXISTS (
              SELECT 1 FROM pg_attribute WHERE attrelid = to_regclass('{waiters}') AND attname = 'listener' AND NOT attisdropped)
            """;

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
              listener integer NULL,
              PRIMARY KEY (name, waiter));
            ALTER TABLE {waiters} ADD COLUMN IF NOT EXISTS listener integer NULL;
            CREATE INDEX IF NOT EXISTS "{table}_waiters_queue" ON {waiters} (name, seq);
            """;

        // A waiter is live while its place lease runs and its process's listener connection exists. The
        // listener holds an advisory lock named after its pid for its whole life, so a shared try-lock
        // that fails means it is alive: one lock-table probe, where reading pg_stat_activity would copy
        // every backend's status. (A dead listener's probe succeeds and holds until this statement commits.)
        var live = $"w.expires_at > clock_timestamp() AND (w.listener IS NULL OR NOT pg_try_advisory_xact_lock_shared({ListenerLockClass}, w.listener))";

        // $1 name, $2 token, $3 ttl ms, $4 place lease ms, $5 queue when not taken, $6 listener pid (or null).
        // A free (or expired) lock goes to a newcomer only when no live waiter is ahead of it, so a
        // releaser asking again cannot barge. A token that already holds (a hand-off whose wake-up was
        // missed or raced the end of the wait) gets its lease renewed from now and keeps its fence; the
        // row lock of ON CONFLICT makes that check see a hand-off that committed meanwhile. A waiter that
        // queues also writes the row (unchanged values, a new version): a release that took its snapshot
        // before this commits sees the row's version change and says "free" to everyone, instead of
        // leaving a waiter it could not see asleep beside a free lock. Without $5, the token's queue
        // entry goes: that is how a waiter whose wait ran out leaves, race-free.
        // Returns the fence when held, else the milliseconds until the current lease ends (the fallback retry time).
        const string Take = "(l.holder = excluded.holder OR ((l.holder IS NULL OR l.expires_at <= (SELECT t FROM now)) AND NOT EXISTS (SELECT 1 FROM ahead)))";
        Acquire = $"""
            WITH now AS MATERIALIZED (SELECT clock_timestamp() AS t),
            mine AS (SELECT w.seq FROM {waiters} w WHERE w.name = $1 AND w.waiter = $2),
            ahead AS (
              SELECT 1 FROM {waiters} w
              WHERE w.name = $1 AND w.waiter <> $2
                AND w.seq < COALESCE((SELECT seq FROM mine), 9223372036854775807) AND {live}
              LIMIT 1),
            upsert AS (
              INSERT INTO {locks} AS l (name, holder, fence, expires_at)
              SELECT $1, $2, 1, now.t + $3 * interval '1 millisecond' FROM now
              ON CONFLICT (name) DO UPDATE
                SET fence = CASE WHEN l.holder = excluded.holder THEN l.fence WHEN {Take} THEN l.fence + 1 ELSE l.fence END,
                    holder = CASE WHEN {Take} THEN excluded.holder ELSE l.holder END,
                    expires_at = CASE WHEN {Take} THEN excluded.expires_at ELSE l.expires_at END
                WHERE $5 OR {Take}
              RETURNING l.fence, l.holder = $2 AS ours, l.expires_at),
            took AS (SELECT fence FROM upsert WHERE ours),
            dequeued AS (DELETE FROM {waiters} w WHERE w.name = $1 AND w.waiter = $2 AND (NOT $5 OR EXISTS (SELECT 1 FROM took))),
            queued AS (
              INSERT INTO {waiters} (name, waiter, ttl_ms, expires_at, listener)
              SELECT $1, $2, $3, now.t + $4 * interval '1 millisecond', $6 FROM now
              WHERE $5 AND NOT EXISTS (SELECT 1 FROM took)
              ON CONFLICT (name, waiter) DO UPDATE SET ttl_ms = excluded.ttl_ms, expires_at = excluded.expires_at, listener = excluded.listener)
            SELECT (SELECT fence FROM took),
                   (SELECT GREATEST(0, CEIL(EXTRACT(EPOCH FROM (COALESCE(
                             (SELECT expires_at FROM upsert),
                             (SELECT l.expires_at FROM {locks} l WHERE l.name = $1 AND l.holder IS NOT NULL)) - now.t)) * 1000))::bigint FROM now)
            """;

        // $1 name, $2 token, $3 table channel, $4 the releaser's own listener pid (or null).
        // Locks the row whoever holds it, so a hand-off to $2 that committed while this statement waited
        // is seen and released (a waiter abandoning after a cancel). Leaves the queue and, when $2 holds
        // the lock, hands it to the first live waiter (dropping dead ones ahead of it) or frees it. The
        // new holder's lease starts when the row is written (clock_timestamp() in the UPDATE itself).
        // Hand-off: NOTIFY "h:<token>:<fence>" on the head's listener channel, unless the head waits in
        // the releaser's own process (it is then woken in process, no message). Freed: "f:<name>" on the
        // table channel, only when a waiter may have gone unseen (the row changed after this statement's
        // snapshot, or the head it chose left meanwhile). Returns a row only when $2 held: fence, new
        // holder, whether the wake-up is local.
        Release = $"""
            WITH seen AS (SELECT l.xmin AS version FROM {locks} l WHERE l.name = $1),
            cur AS MATERIALIZED (SELECT l.name, l.holder, l.xmin AS version FROM {locks} l WHERE l.name = $1 FOR UPDATE),
            mine AS MATERIALIZED (SELECT name FROM cur WHERE holder = $2),
            left_queue AS (DELETE FROM {waiters} w WHERE w.name = $1 AND w.waiter = $2),
            head AS MATERIALIZED (
              SELECT w.waiter, w.seq FROM {waiters} w
              WHERE w.name = $1 AND w.waiter <> $2 AND EXISTS (SELECT 1 FROM mine) AND {live}
              ORDER BY w.seq LIMIT 1),
            purged AS (
              DELETE FROM {waiters} w
              WHERE w.name = $1 AND w.waiter <> $2 AND EXISTS (SELECT 1 FROM mine)
                AND w.seq < COALESCE((SELECT seq FROM head), 9223372036854775807)),
            taken AS (
              DELETE FROM {waiters} w WHERE w.name = $1 AND w.waiter = (SELECT waiter FROM head)
              RETURNING w.waiter, w.ttl_ms, w.listener),
            released AS (
              UPDATE {locks} l SET
                holder = (SELECT waiter FROM taken),
                fence = l.fence + (SELECT count(*) FROM taken),
                expires_at = clock_timestamp() + (SELECT ttl_ms FROM taken) * interval '1 millisecond'
              FROM mine WHERE l.name = mine.name
              RETURNING l.holder, l.fence, (SELECT listener FROM taken) AS listener)
            SELECT r.fence, r.holder, COALESCE(r.holder IS NOT NULL AND r.listener = $4, false),
                   CASE WHEN r.holder IS NOT NULL AND r.listener = $4 THEN NULL
                        WHEN r.holder IS NOT NULL
                          THEN pg_notify(COALESCE('{ListenerChannelPrefix}' || r.listener, $3), 'h:' || replace(r.holder::text, '-', '') || ':' || r.fence)
                        WHEN EXISTS (SELECT 1 FROM head) OR NOT EXISTS (SELECT 1 FROM seen, cur WHERE seen.version = cur.version)
                          THEN pg_notify($3, 'f:' || $1)
                   END IS NULL
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

    /// <summary>First key of the advisory lock a listener connection holds on (this, its backend pid) while it lives (the ASCII of "coor").</summary>
    public const int ListenerLockClass = 0x636f6f72;

    /// <summary>Advisory lock key that serialises schema creation across processes (the ASCII of "coordlck").</summary>
    public const long SchemaLockKey = 0x636f6f72646c636b;

    /// <summary>The NOTIFY channel of this table (<c>schema.table</c>): "freed" messages that every listener on the table hears.</summary>
    public string Channel { get; }

    public string TablesExist { get; }
    public string CreateSchema { get; }
    public string Acquire { get; }
    public string Release { get; }
    public string Renew { get; }
    public string Status { get; }
}
