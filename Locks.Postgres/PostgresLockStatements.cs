namespace Coord.Locks.Postgres;

/// <summary>
/// The SQL behind <see cref="PostgresLock"/>: one statement (or one call of a function created with the
/// tables) per operation, so that each is a single round trip and a single transaction. Time is only
/// ever the server's <c>clock_timestamp()</c>.
/// </summary>
/// <remarks>
/// <para>Tables: <c>locks(name, holder, fence, expires_at, local_passes, queue_floor)</c>, one row per name that
/// is never deleted, so <c>fence</c> only grows; and <c>waiters(name, waiter, seq, ttl_ms, expires_at, listener)</c>, the FIFO
/// queue (by <c>seq</c>), each entry with its own place lease so a dead waiter drops out, and the backend
/// pid of its process's LISTEN connection: the channel its hand-off goes to, and its sign of life (a
/// killed process's connection ends at once, and with it the advisory lock it held, so its waiters are
/// passed over without waiting out their lease).</para>
/// <para>Every look at a name's queue starts at the row's <c>queue_floor</c>, a <c>seq</c> at or below every
/// entry of that name: a busy name leaves thousands of deleted entries below its head in the
/// <c>(name, seq)</c> index until vacuum removes them, and PostgreSQL cannot mark them dead in the index
/// while that index page keeps changing, so a look from the start of the name read every one of them.
/// Only a release that holds the name's lock exclusively moves the floor, to the lowest entry left (or to
/// the seq it just handed the lock to): no queueing call is then half done, and a later entry draws a
/// higher seq from the identity (cache 1, so seqs rise in the order they are drawn).</para>
/// <para>Both functions run with <c>enable_seqscan</c> off. Right after a vacuum the tables look empty to the
/// planner, and the plans the functions cache would then read the whole waiter heap, dead entries and all,
/// on every call, where the two indexes reach the few entries at the floor.</para>
/// <para>A waiter must never sleep beside a lock that a release freed without seeing it. So the queueing
/// call and a release that frees the lock exclude each other by a transaction-scoped advisory lock on the
/// name (shared for queueing, so waiters never wait for one another; exclusive for freeing), taken as the
/// first step of a PL/pgSQL function: under READ COMMITTED every later statement of the function reads a
/// fresh snapshot, so the release sees every entry queued before it, and a queueing call sees every
/// release before it. A plain statement could not: its snapshot is taken before any lock it waits for.
/// A release that hands the lock on does not wait for queueing calls (under contention the previous
/// holder's next queueing call is nearly always under way, and waiting for it put that call on the path
/// of every hand-off): it takes the name's lock only if it is free, and claims its waiter by deleting the
/// waiter's entry. A waiter that refreshes or leaves writes that same entry and then looks at the lock
/// row again, so whichever of the two wrote the entry first, the other sees it: the release finds the
/// entry gone and takes the next waiter, or the waiter finds itself the holder.</para>
/// <para>A transaction that only frees a lock or writes a place in line commits without waiting for its WAL to
/// reach disk (<c>synchronous_commit</c> off for that transaction alone): a server crash can lose such a commit,
/// and then a freed lock comes back held by a holder who has let it go, until that lease runs out, or a waiter
/// loses its place and takes a new one at its next refresh; never two holders, never a repeated fence. Visibility
/// to other transactions is the same at commit either way, and a later commit that waits for the flush carries
/// every earlier record with it. A transaction that makes someone the holder (a take, a hand-off) or extends a
/// lease waits as the server is configured: lost, it could let a second holder in with the same fence. With
/// <c>fsync</c> on this halves the flushes of an uncontended hold (one take, one free).</para>
/// </remarks>
internal sealed class PostgresLockStatements
{
    /// <summary>Prefix of the channel a listener connection LISTENs on for hand-offs: <c>coord_lock_&lt;backend pid&gt;</c>.</summary>
    public const string ListenerChannelPrefix = "coord_lock_";

    /// <summary>First key of the advisory lock a listener connection holds on (this, its backend pid) while it lives (the ASCII of "coor").</summary>
    public const int ListenerLockClass = 0x636f6f72;

    /// <summary>First key of the transaction advisory lock on (this, hashtext(name)) that orders queueing against release (the ASCII of "cdln").</summary>
    public const int NameLockClass = 0x63646c6e;

    /// <summary>How many hand-offs in a row may go to a waiter of the releaser's own process past an older waiter of another process: the bound every queued backend shares.</summary>
    public const int MaxLocalPasses = Coord.Locks.Internal.LocalPassPolicy.MaxPassesInARow;

    /// <summary>SQLSTATE of the release function's "call me again with p_exclusive": it would free the lock while a queueing call may be under way.</summary>
    public const string MustExcludeQueueing = "CDQ01";

    /// <summary>Version of the acquire and release functions, part of their names.</summary>
    public const int ProtocolVersion = 5;

    /// <summary>
    /// The PL/pgSQL step that lets the rest of a transaction commit without waiting for the WAL flush: for
    /// transactions that only free a lock or write a place in line (see the remarks on durability).
    /// </summary>
    public const string CommitWithoutFlush = "PERFORM set_config('synchronous_commit', 'off', true);";

    /// <summary>Advisory lock key that serialises schema creation across processes (the ASCII of "coordlck").</summary>
    public const long SchemaLockKey = 0x636f6f72646c636b;

    /// <summary>
    /// SQL condition on a waiter entry <c>w</c>: its place lease runs and its process's listener connection
    /// exists. The listener holds an advisory lock named after its pid for its whole life, so a shared
    /// try-lock that fails means it is alive: one lock-table probe, where reading pg_stat_activity would copy
    /// every backend's status. (A dead listener's probe succeeds and holds until the transaction ends.)
    /// A waiter without a live listener cannot hear a hand-off: it is passed over but keeps its place, so
    /// one whose listener reconnects is served in its turn once it has named the new connection.
    /// </summary>
    public static readonly string LiveWaiter =
        $"w.expires_at > clock_timestamp() AND w.listener IS NOT NULL AND NOT pg_try_advisory_xact_lock_shared({ListenerLockClass}, w.listener)";

    /// <summary>
    /// DDL of a FIFO line of waiters (the lock's and the semaphore's have one layout): <c>seq</c> gives the
    /// order, <c>expires_at</c> the place lease, <c>listener</c> the backend pid of the waiter's process's LISTEN connection.
    /// </summary>
    public static string WaitersTable(string waiters, string queueIndex) => $"""
        CREATE TABLE IF NOT EXISTS {waiters} (
          name text NOT NULL,
          waiter uuid NOT NULL,
          seq bigint GENERATED ALWAYS AS IDENTITY,
          ttl_ms bigint NOT NULL,
          expires_at timestamptz NOT NULL,
          listener integer NULL,
          PRIMARY KEY (name, waiter));
        ALTER TABLE {waiters} ADD COLUMN IF NOT EXISTS listener integer NULL;
        CREATE INDEX IF NOT EXISTS "{queueIndex}" ON {waiters} (name, seq);
        """;

    public PostgresLockStatements(string schema, string table)
    {
        var locks = $"\"{schema}\".\"{table}\"";
        var waiters = $"\"{schema}\".\"{table}_waiters\"";
        // The protocol version is part of the functions' names: a release of Coord that changes them
        // creates new ones instead of replacing the ones that running processes call.
        var acquireFunction = $"\"{schema}\".\"{table}_acquire_v{ProtocolVersion}\"";
        var releaseFunction = $"\"{schema}\".\"{table}_release_v{ProtocolVersion}\"";

        TablesExist = $"""
            SELECT to_regclass('{locks}') IS NOT NULL
               AND to_regprocedure('{acquireFunction}(text,uuid,bigint,bigint,boolean,integer)') IS NOT NULL
               AND to_regprocedure('{releaseFunction}(text,uuid,integer,boolean)') IS NOT NULL
            """;

        var live = LiveWaiter;
        const string NoFlush = CommitWithoutFlush;
        const string Forever = "9223372036854775807";

        CreateSchema = $$"""
            SELECT pg_advisory_xact_lock({{SchemaLockKey}});
            CREATE SCHEMA IF NOT EXISTS "{{schema}}";
            CREATE TABLE IF NOT EXISTS {{locks}} (
              name text PRIMARY KEY,
              holder uuid NULL,
              fence bigint NOT NULL,
              expires_at timestamptz NULL);
            ALTER TABLE {{locks}} ADD COLUMN IF NOT EXISTS local_passes integer NOT NULL DEFAULT 0;
            -- 0 is below every seq, so rows of a database made by an earlier version start out right.
            ALTER TABLE {{locks}} ADD COLUMN IF NOT EXISTS queue_floor bigint NOT NULL DEFAULT 0;
            {{WaitersTable(waiters, $"{table}_waiters_queue")}}

            -- Takes the lock when it is the caller's (a hand-off whose wake-up was missed or raced the end
            -- of the wait: the lease then runs from now and the fence stays), or free with no live waiter
            -- ahead; else, with p_queue, takes or refreshes the caller's place in line (its seq stays), and
            -- without it leaves the line: how a waiter whose wait ran out leaves, keeping a hand-off that
            -- landed first. Returns the fence when held, else the milliseconds worth waiting before asking again.
            CREATE OR REPLACE FUNCTION {{acquireFunction}}(
              p_name text, p_token uuid, p_ttl_ms bigint, p_lease_ms bigint, p_queue boolean, p_listener integer,
              OUT o_fence bigint, OUT o_retry_ms bigint)
            LANGUAGE plpgsql VOLATILE SET enable_seqscan = off AS $coord$
            DECLARE
              v_now timestamptz;
              v_holder uuid;
              v_expires timestamptz;
              v_seq bigint;
              v_floor bigint;
            BEGIN
              PERFORM pg_advisory_xact_lock_shared({{NameLockClass}}, hashtext(p_name));
              v_now := clock_timestamp();
              SELECT l.holder, l.expires_at, l.queue_floor INTO v_holder, v_expires, v_floor FROM {{locks}} l WHERE l.name = p_name;
              IF v_holder IS DISTINCT FROM p_token AND (v_holder IS NULL OR v_expires <= v_now) THEN
                SELECT w.seq INTO v_seq FROM {{waiters}} w WHERE w.name = p_name AND w.waiter = p_token;
                IF NOT EXISTS (SELECT 1 FROM {{waiters}} w
                                WHERE w.name = p_name AND w.seq >= COALESCE(v_floor, 0) AND w.seq < COALESCE(v_seq, {{Forever}})
                                  AND w.waiter <> p_token AND {{live}}) THEN
                  INSERT INTO {{locks}} AS l (name, holder, fence, expires_at)
                  VALUES (p_name, p_token, 1, clock_timestamp() + p_ttl_ms * interval '1 millisecond')
                  ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, fence = l.fence + 1, expires_at = excluded.expires_at
                   WHERE l.holder IS NULL OR l.expires_at <= clock_timestamp()
                  RETURNING l.fence INTO o_fence;
                  IF o_fence IS NOT NULL THEN
                    DELETE FROM {{waiters}} w WHERE w.name = p_name AND w.waiter = p_token;
                    RETURN;
                  END IF;
                  -- Another acquire took it a moment ago; its release will see this caller's place.
                  SELECT l.expires_at INTO v_expires FROM {{locks}} l WHERE l.name = p_name;
                ELSE
                  -- Free, but a live waiter ahead will take it: look again soon rather than at a lease end that has passed.
                  v_expires := GREATEST(v_expires, v_now) + interval '50 milliseconds';
                END IF;
              END IF;
              IF v_holder IS DISTINCT FROM p_token THEN
                IF p_queue THEN
                  INSERT INTO {{waiters}} (name, waiter, ttl_ms, expires_at, listener)
                  VALUES (p_name, p_token, p_ttl_ms, clock_timestamp() + p_lease_ms * interval '1 millisecond', p_listener)
                  ON CONFLICT (name, waiter) DO UPDATE SET ttl_ms = excluded.ttl_ms, expires_at = excluded.expires_at, listener = excluded.listener;
                ELSE
                  DELETE FROM {{waiters}} w WHERE w.name = p_name AND w.waiter = p_token;
                END IF;
                -- A hand-off does not wait for queueing calls: whichever of it and this call wrote the caller's
                -- entry first made the other wait until it committed. A release that deleted the entry first
                -- has made the caller the holder, and this fresh look sees it.
                SELECT l.holder INTO v_holder FROM {{locks}} l WHERE l.name = p_name;
              END IF;
              IF v_holder = p_token THEN
                UPDATE {{locks}} l SET expires_at = clock_timestamp() + p_ttl_ms * interval '1 millisecond'
                 WHERE l.name = p_name RETURNING l.fence INTO o_fence;
                DELETE FROM {{waiters}} w WHERE w.name = p_name AND w.waiter = p_token;
                RETURN;
              END IF;
              -- Only the caller's place in line was written: a crash that loses it costs a place, never a lock.
              {{NoFlush}}
              o_retry_ms := GREATEST(1, CEIL(EXTRACT(EPOCH FROM (COALESCE(v_expires, v_now) - v_now)) * 1000))::bigint;
            END
            $coord$;

            -- Leaves the line and, when p_token holds the lock (however late a hand-off to it landed), hands
            -- it to the first live waiter, or frees it. The new holder's lease starts when the row is
            -- written. Only a hand-off waits for the WAL flush at commit: a lost free leaves a lease to run out. The hand-off's NOTIFY ("h:<token>:<fence>") goes to the head's listener channel only,
            -- and not at all when the head waits in the releaser's own process (p_listener): that process
            -- wakes it itself. Entries ahead of the head go only once their place lease ran out.
            -- Cohorts: while the head waits in another process, the first waiter of the releaser's own
            -- process may go first, at most {{MaxLocalPasses}} times in a row (local_passes counts them): a
            -- hand-off inside a process needs no NOTIFY, which PostgreSQL signals to every listening backend
            -- of the database, and the head still waits only a bounded number of extra turns.
            -- Only freeing the lock must exclude queueing calls (a waiter half way through queueing would sleep
            -- beside a free lock): a hand-off takes the name's lock only when no queueing call holds it, and
            -- claims its waiter by deleting the waiter's entry, which the waiter's own leave also deletes, so
            -- exactly one of them wins. Where it would free the lock without that exclusion it raises
            -- {{MustExcludeQueueing}}, and the caller calls again with p_exclusive, which waits for the name's lock first.
            CREATE OR REPLACE FUNCTION {{releaseFunction}}(
              p_name text, p_token uuid, p_listener integer, p_exclusive boolean,
              OUT o_released boolean, OUT o_fence bigint, OUT o_holder uuid, OUT o_local boolean)
            LANGUAGE plpgsql VOLATILE SET enable_seqscan = off AS $coord$
            DECLARE
              v_head record;
              v_local record;
              v_passes integer;
              v_passed boolean := false;
              v_floor bigint;
              v_exclusive boolean := p_exclusive;
            BEGIN
              IF p_exclusive THEN
                PERFORM pg_advisory_xact_lock({{NameLockClass}}, hashtext(p_name));
              ELSE
                v_exclusive := pg_try_advisory_xact_lock({{NameLockClass}}, hashtext(p_name));
              END IF;
              IF v_exclusive THEN
                -- The uncontended release: nobody in line at all (every entry is at or above the floor), so
                -- freeing is all there is to do, in one statement instead of the five of the general path.
                UPDATE {{locks}} l SET holder = NULL, expires_at = NULL
                 WHERE l.name = p_name AND l.holder = p_token
                   AND NOT EXISTS (SELECT 1 FROM {{waiters}} w WHERE w.name = p_name AND w.seq >= l.queue_floor)
                RETURNING l.fence INTO o_fence;
                IF FOUND THEN
                  {{NoFlush}}
                  o_released := true;
                  o_local := false;
                  RETURN;
                END IF;
              END IF;
              DELETE FROM {{waiters}} w WHERE w.name = p_name AND w.waiter = p_token;
              SELECT l.local_passes, l.queue_floor INTO v_passes, v_floor FROM {{locks}} l
               WHERE l.name = p_name AND l.holder = p_token FOR NO KEY UPDATE;
              o_released := FOUND;
              o_local := false;
              IF NOT o_released THEN
                {{NoFlush}}
                RETURN;
              END IF;
              LOOP
                SELECT w.waiter, w.seq, w.ttl_ms, w.listener INTO v_head
                  FROM {{waiters}} w WHERE w.name = p_name AND w.seq >= v_floor AND {{live}} ORDER BY w.seq LIMIT 1;
                IF v_head.waiter IS NULL THEN
                  IF NOT v_exclusive THEN
                    RAISE EXCEPTION 'coord: freeing lock % needs the name lock', p_name USING ERRCODE = '{{MustExcludeQueueing}}';
                  END IF;
                  DELETE FROM {{waiters}} w WHERE w.name = p_name AND w.seq >= v_floor AND w.expires_at <= clock_timestamp();
                  UPDATE {{locks}} l SET holder = NULL, expires_at = NULL,
                         queue_floor = COALESCE((SELECT w.seq FROM {{waiters}} w WHERE w.name = p_name AND w.seq >= v_floor ORDER BY w.seq LIMIT 1), v_floor)
                   WHERE l.name = p_name RETURNING l.fence INTO o_fence;
                  {{NoFlush}}
                  RETURN;
                END IF;
                IF v_head.listener <> p_listener AND v_passes < {{MaxLocalPasses}} THEN
                  -- This process's own listener is alive (it is this process): only the place lease counts.
                  SELECT w.waiter, w.seq, w.ttl_ms, w.listener INTO v_local
                    FROM {{waiters}} w WHERE w.name = p_name AND w.seq > v_head.seq AND w.listener = p_listener AND w.expires_at > clock_timestamp()
                   ORDER BY w.seq LIMIT 1;
                  IF v_local.waiter IS NOT NULL THEN
                    v_head := v_local;
                    v_passed := true;
                  END IF;
                END IF;
                DELETE FROM {{waiters}} w WHERE w.name = p_name AND w.waiter = v_head.waiter;
                EXIT WHEN FOUND;
                -- That waiter left the line a moment ago: look again.
                v_passed := false;
              END LOOP;
              DELETE FROM {{waiters}} w
               WHERE w.name = p_name AND w.seq >= v_floor AND w.seq < v_head.seq AND w.expires_at <= clock_timestamp();
              UPDATE {{locks}} l SET holder = v_head.waiter, fence = l.fence + 1,
                     expires_at = clock_timestamp() + v_head.ttl_ms * interval '1 millisecond',
                     local_passes = CASE WHEN v_passed THEN l.local_passes + 1 ELSE 0 END,
                     -- A queueing call still under way may have drawn a seq below the next entry: the floor
                     -- moves only when none is.
                     queue_floor = CASE WHEN v_exclusive
                       THEN COALESCE((SELECT w.seq FROM {{waiters}} w WHERE w.name = p_name AND w.seq >= v_floor ORDER BY w.seq LIMIT 1), v_head.seq)
                       ELSE l.queue_floor END
               WHERE l.name = p_name RETURNING l.fence INTO o_fence;
              o_holder := v_head.waiter;
              o_local := COALESCE(v_head.listener = p_listener, false);
              IF NOT o_local THEN
                PERFORM pg_notify('{{ListenerChannelPrefix}}' || v_head.listener, 'h:' || replace(v_head.waiter::text, '-', '') || ':' || o_fence);
              END IF;
            END
            $coord$;
            """;

        // $1 name, $2 token, $3 ttl ms. The first try of an acquire, as one plain statement: takes the lock
        // when free (or expired) with no live waiter queued, so a releaser asking again cannot barge; a
        // token that already holds (this statement sent twice) keeps its fence and renews its lease. It
        // queues nothing, so it needs no ordering against releases. Returns the fence, or no row.
        Take = $"""
            INSERT INTO {locks} AS l (name, holder, fence, expires_at)
            VALUES ($1, $2, 1, clock_timestamp() + $3 * interval '1 millisecond')
            ON CONFLICT (name) DO UPDATE
              SET fence = CASE WHEN l.holder = excluded.holder THEN l.fence ELSE l.fence + 1 END,
                  holder = excluded.holder, expires_at = excluded.expires_at
              WHERE l.holder = excluded.holder
                 OR ((l.holder IS NULL OR l.expires_at <= clock_timestamp())
                     AND NOT EXISTS (SELECT 1 FROM {waiters} w WHERE w.name = $1 AND w.seq >= l.queue_floor AND {live}))
            RETURNING l.fence
            """;

        // $1 name, $2 token, $3 ttl ms, $4 place lease ms, $5 queue (else leave), $6 listener pid (or null).
        Acquire = $"SELECT o_fence, o_retry_ms FROM {acquireFunction}($1, $2, $3, $4, $5, $6)";

        // $1 name, $2 token, $3 the releaser's own listener pid (or null), $4 wait for the name's lock (after SQLSTATE MustExcludeQueueing).
        Release = $"SELECT o_released, o_fence, o_holder, o_local FROM {releaseFunction}($1, $2, $3, $4)";

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

    public string TablesExist { get; }
    public string CreateSchema { get; }
    public string Take { get; }
    public string Acquire { get; }
    public string Release { get; }
    public string Renew { get; }
    public string Status { get; }
}
