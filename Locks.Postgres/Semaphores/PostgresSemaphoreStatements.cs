namespace Coord.Locks.Postgres;

/// <summary>
/// The SQL behind <see cref="PostgresSemaphore"/>: tables and functions beside the lock's (same schema,
/// names from the same <see cref="PostgresLockOptions.TableName"/>), one call per operation, timed only by
/// the server's <c>clock_timestamp()</c>.
/// </summary>
/// <remarks>
/// <para>Tables (kind <c>sem</c> for semaphores, <c>rw</c> for reader-writer locks, <c>elect</c> for elections):
/// <c>&lt;table&gt;_sem(name, max_count, fence, queue_floor)</c>, one row per name that is never
/// deleted, so <c>fence</c> only grows and counts every grant of the name; <c>&lt;table&gt;_sem_holders(name,
/// holder, fence, expires_at, shared)</c>, one row per live hold (<c>shared</c> false for a writer or leader); and <c>&lt;table&gt;_sem_waiters</c>, the FIFO line,
/// laid out as the lock's (<c>seq</c> order, a place lease per entry, the listener pid of the waiter's process,
/// which is both where its hand-off NOTIFY goes and its sign of life).</para>
/// <para>Every call that changes who holds or waits (acquire, leave, release) is one PL/pgSQL function that
/// first takes a transaction advisory lock on the name, exclusive: the calls of one name run one after
/// another, and under READ COMMITTED each later statement of the function sees everything the previous
/// call committed. A permit is counted across several rows, so unlike the lock (one row, claimed by one
/// conditional write) the count, the hand-offs and a waiter's own place must be read and written as one
/// step; serialising on the name gives exactly that, for the price of calls of one name never overlapping
/// (each is a few index probes, well under a millisecond on the server). Renewal needs no such order: it
/// moves only its own row's expiry, and only while the lease runs, so it is a plain statement; the
/// deletion of expired holders re-checks each row after any renewal of it committed.</para>
/// <para>Each of those functions first settles the name (<c>&lt;table&gt;_sem_settle_v2</c>): drops expired
/// holders, then hands every free permit to the first live waiters in line, each with a fence one above the
/// last, one NOTIFY per permit to that waiter's process only (none to a waiter of the caller's own process:
/// those come back in the reply and are woken in process). So while a live waiter is in line no permit is
/// free, and a caller asking for the first time (or a releaser asking again) cannot pass anyone.
/// Abandoning is race-free for the same reason as the lock's: a waiter leaves in one of these calls, which
/// runs either before a hand-off (the hand-off then no longer sees it) or after (the leave then finds the
/// permit its own, and keeps it or, when cancelled, releases it).</para>
/// <para>As the lock's (see <see cref="PostgresLockStatements"/>), a call that made no holder (its settle served
/// nobody, and it took or renewed nothing for its caller) commits without waiting for the WAL flush: a lost
/// release leaves a permit to run out its lease, a lost place in line is taken again at the next refresh.</para>
/// </remarks>
internal sealed class PostgresSemaphoreStatements
{
    /// <summary>First key of the transaction advisory lock on (this, hashtext(name)) that orders the calls of one semaphore (the ASCII of "cdsm").</summary>
    public const int NameLockClass = 0x6364736d;

    /// <summary>Version of the functions, part of their names, so a release of Coord that changes them creates new ones.</summary>
    public const int ProtocolVersion = 3;

    /// <summary>The kind of a semaphore's tables (<c>&lt;table&gt;_sem</c>, ...).</summary>
    public const string SemaphoreKind = "sem";

    /// <summary>The kind of a reader-writer lock's tables (<c>&lt;table&gt;_rw</c>, ...).</summary>
    public const string ReaderWriterKind = "rw";

    /// <summary>The statements over the tables of <paramref name="kind"/>: each primitive built on this engine has tables of its own, so their names never meet.</summary>
    public PostgresSemaphoreStatements(string schema, string table, string kind = SemaphoreKind)
    {
        Kind = kind;
        var names = $"\"{schema}\".\"{table}_{kind}\"";
        var holders = $"\"{schema}\".\"{table}_{kind}_holders\"";
        var waiters = $"\"{schema}\".\"{table}_{kind}_waiters\"";
        var settleFunction = $"\"{schema}\".\"{table}_{kind}_settle_v{ProtocolVersion}\"";
        var acquireFunction = $"\"{schema}\".\"{table}_{kind}_acquire_v{ProtocolVersion}\"";
        var releaseFunction = $"\"{schema}\".\"{table}_{kind}_release_v{ProtocolVersion}\"";
        Holders = holders;
        Waiters = waiters;
        var nameLock = $"pg_advisory_xact_lock({NameLockClass}, hashtext(p_name))";
        const string NoFlush = PostgresLockStatements.CommitWithoutFlush;
        const string Ms = "interval '1 millisecond'";

        TablesExist = $"""
            SELECT to_regclass('{names}') IS NOT NULL
               AND to_regclass('{holders}') IS NOT NULL
               AND to_regclass('{waiters}') IS NOT NULL
               AND to_regprocedure('{acquireFunction}(text,uuid,bigint,bigint,integer,boolean,boolean,integer)') IS NOT NULL
               AND to_regprocedure('{releaseFunction}(text,uuid,integer)') IS NOT NULL
            """;

        var live = PostgresLockStatements.LiveWaiter;

        CreateSchema = $$"""
            SELECT pg_advisory_xact_lock({{PostgresLockStatements.SchemaLockKey}});
            CREATE SCHEMA IF NOT EXISTS "{{schema}}";
            CREATE TABLE IF NOT EXISTS {{names}} (
              name text PRIMARY KEY,
              max_count integer NOT NULL,
              fence bigint NOT NULL,
              queue_floor bigint NOT NULL DEFAULT 0);
            CREATE TABLE IF NOT EXISTS {{holders}} (
              name text NOT NULL,
              holder uuid NOT NULL,
              fence bigint NOT NULL,
              expires_at timestamptz NOT NULL,
              PRIMARY KEY (name, holder));
            {{PostgresLockStatements.WaitersTable(waiters, $"{table}_{kind}_waiters_queue")}}
            -- Whether a hold shares the name (a permit, a reader) or keeps everyone else out (a writer, a leader).
            ALTER TABLE {{holders}} ADD COLUMN IF NOT EXISTS shared boolean NOT NULL DEFAULT true;
            ALTER TABLE {{waiters}} ADD COLUMN IF NOT EXISTS shared boolean NOT NULL DEFAULT true;

            -- Called with the name's lock held. Drops expired holders (a renewal that committed first keeps its
            -- row: DELETE re-checks it), then gives free permits to the first live waiters in seq order, each with
            -- the next fence and its own TTL from now, for as long as the head of the line fits: a shared hold beside
            -- fewer than max holders none of them exclusive, an exclusive one beside nobody. A head that does not fit
            -- keeps everyone behind it waiting (o_waiting), so a waiting writer holds back later readers. The NOTIFY ("h:<token>:<fence>") goes to the waiter's
            -- process channel; none for p_self (the caller) or for waiters of p_listener (the caller's process),
            -- which are returned instead. Entries ahead of a served waiter go once their place lease ran out.
            -- queue_floor: as for the lock, a seq at or below every entry of the name, so looks at the line skip
            -- the deleted entries a busy name leaves in the index. Entries are only added under the name's lock,
            -- in seq order, so the first entry left (or, with none, one past the last served) is such a seq.
            -- o_served: whether it made any holder, so its caller's commit must wait for the WAL flush.
            CREATE OR REPLACE FUNCTION {{settleFunction}}(
              p_name text, p_self uuid, p_listener integer, OUT o_local uuid[], OUT o_local_fences bigint[], OUT o_waiting boolean, OUT o_served boolean)
            LANGUAGE plpgsql VOLATILE SET enable_seqscan = off AS $coord$
            DECLARE
              v_max integer;
              v_fence bigint;
              v_floor bigint;
              v_count bigint;
              v_exclusive boolean;
              v_head record;
              v_last bigint;
            BEGIN
              o_local := '{}';
              o_local_fences := '{}';
              o_waiting := false;
              o_served := false;
              DELETE FROM {{holders}} h WHERE h.name = p_name AND h.expires_at <= clock_timestamp();
              SELECT s.max_count, s.fence, s.queue_floor INTO v_max, v_fence, v_floor FROM {{names}} s WHERE s.name = p_name;
              IF NOT FOUND THEN
                RETURN;
              END IF;
              SELECT count(*), COALESCE(bool_or(NOT h.shared), false) INTO v_count, v_exclusive FROM {{holders}} h WHERE h.name = p_name;
              LOOP
                SELECT w.waiter, w.seq, w.ttl_ms, w.listener, w.shared INTO v_head
                  FROM {{waiters}} w WHERE w.name = p_name AND w.seq >= v_floor AND {{live}} ORDER BY w.seq LIMIT 1;
                EXIT WHEN NOT FOUND;
                IF (v_head.shared AND (v_exclusive OR v_count >= v_max)) OR (NOT v_head.shared AND v_count > 0) THEN
                  o_waiting := true;
                  EXIT;
                END IF;
                DELETE FROM {{waiters}} w WHERE w.name = p_name AND w.waiter = v_head.waiter;
                v_fence := v_fence + 1;
                INSERT INTO {{holders}} (name, holder, fence, expires_at, shared)
                VALUES (p_name, v_head.waiter, v_fence, clock_timestamp() + v_head.ttl_ms * {{Ms}}, v_head.shared);
                v_count := v_count + 1;
                v_exclusive := v_exclusive OR NOT v_head.shared;
                v_last := v_head.seq;
                IF v_head.waiter = p_self THEN
                  NULL;
                ELSIF v_head.listener = p_listener THEN
                  o_local := o_local || v_head.waiter;
                  o_local_fences := o_local_fences || v_fence;
                ELSE
                  PERFORM pg_notify('{{PostgresLockStatements.ListenerChannelPrefix}}' || v_head.listener, 'h:' || replace(v_head.waiter::text, '-', '') || ':' || v_fence);
                END IF;
              END LOOP;
              IF NOT o_waiting THEN
                -- Nobody live is in line: every place whose lease ran out goes.
                DELETE FROM {{waiters}} w WHERE w.name = p_name AND w.seq >= v_floor AND w.expires_at <= clock_timestamp();
              ELSIF v_last IS NOT NULL THEN
                DELETE FROM {{waiters}} w WHERE w.name = p_name AND w.seq >= v_floor AND w.seq < v_last AND w.expires_at <= clock_timestamp();
              END IF;
              o_served := v_last IS NOT NULL;
              IF v_last IS NOT NULL THEN
                UPDATE {{names}} s SET fence = v_fence,
                       queue_floor = COALESCE((SELECT w.seq FROM {{waiters}} w WHERE w.name = p_name AND w.seq >= v_floor ORDER BY w.seq LIMIT 1), v_last + 1)
                 WHERE s.name = p_name;
              END IF;
            END
            $coord$;

            -- A permit for p_token: one handed to it (now by the settle, or earlier: a wake-up missed or raced by the
            -- end of the wait; its lease then restarts now and its fence stays), or a free one with nobody live in
            -- line. Else, with p_queue, takes or refreshes its place (its seq stays), and without it leaves the line:
            -- the first try of an acquire, and how a waiter whose wait ran out leaves, keeping a hand-off that landed
            -- first. A free hold is one that fits (p_shared: beside fewer than max holders none of them exclusive; else
            -- beside nobody) with nobody live left in line by the settle. o_fence when held; o_active_max when the name is in use with another max count (nothing of
            -- the caller's changed); else o_retry_ms, the time until the first holder's lease ends.
            CREATE OR REPLACE FUNCTION {{acquireFunction}}(
              p_name text, p_token uuid, p_ttl_ms bigint, p_lease_ms bigint, p_max integer, p_shared boolean, p_queue boolean, p_listener integer,
              OUT o_fence bigint, OUT o_retry_ms bigint, OUT o_active_max integer, OUT o_local uuid[], OUT o_local_fences bigint[])
            LANGUAGE plpgsql VOLATILE SET enable_seqscan = off AS $coord$
            DECLARE
              v_max integer;
              v_floor bigint;
              v_count bigint;
              v_exclusive boolean;
              v_waiting boolean;
              v_more uuid[];
              v_more_fences bigint[];
              v_served boolean;
              v_more_served boolean;
              v_queued boolean := false;
              v_next timestamptz;
            BEGIN
              PERFORM {{nameLock}};
              SELECT s.max_count, s.queue_floor INTO v_max, v_floor FROM {{names}} s WHERE s.name = p_name;
              IF NOT FOUND THEN
                INSERT INTO {{names}} (name, max_count, fence) VALUES (p_name, p_max, 0);
                v_max := p_max;
                v_floor := 0;
              END IF;
              IF p_queue THEN
                -- Renew the place and name the current listener before the hand-offs look at the line.
                UPDATE {{waiters}} w SET ttl_ms = p_ttl_ms, expires_at = clock_timestamp() + p_lease_ms * {{Ms}}, listener = p_listener
                 WHERE w.name = p_name AND w.waiter = p_token;
                v_queued := FOUND;
              END IF;
              SELECT s.o_local, s.o_local_fences, s.o_waiting, s.o_served INTO o_local, o_local_fences, v_waiting, v_served FROM {{settleFunction}}(p_name, p_token, p_listener) s;
              UPDATE {{holders}} h SET expires_at = clock_timestamp() + p_ttl_ms * {{Ms}}
               WHERE h.name = p_name AND h.holder = p_token RETURNING h.fence INTO o_fence;
              IF FOUND THEN
                RETURN;
              END IF;
              SELECT count(*), COALESCE(bool_or(NOT h.shared), false) INTO v_count, v_exclusive FROM {{holders}} h WHERE h.name = p_name;
              IF v_count = 0 AND NOT EXISTS (SELECT 1 FROM {{waiters}} w
                                              WHERE w.name = p_name AND w.seq >= v_floor AND w.waiter <> p_token AND w.expires_at > clock_timestamp()) THEN
                -- Idle: this acquire sets the count.
                IF v_max <> p_max THEN
                  UPDATE {{names}} s SET max_count = p_max WHERE s.name = p_name;
                  v_max := p_max;
                END IF;
              ELSIF v_max <> p_max THEN
                o_active_max := v_max;
                RETURN;
              END IF;
              IF NOT v_waiting AND ((p_shared AND NOT v_exclusive AND v_count < v_max) OR (NOT p_shared AND v_count = 0)) THEN
                -- The settle served every live waiter, so this free hold is nobody else's.
                UPDATE {{names}} s SET fence = s.fence + 1 WHERE s.name = p_name RETURNING s.fence INTO o_fence;
                INSERT INTO {{holders}} (name, holder, fence, expires_at, shared) VALUES (p_name, p_token, o_fence, clock_timestamp() + p_ttl_ms * {{Ms}}, p_shared);
                IF v_queued THEN
                  DELETE FROM {{waiters}} w WHERE w.name = p_name AND w.waiter = p_token;
                END IF;
                RETURN;
              END IF;
              IF p_queue AND NOT v_queued THEN
                INSERT INTO {{waiters}} (name, waiter, ttl_ms, expires_at, listener, shared)
                VALUES (p_name, p_token, p_ttl_ms, clock_timestamp() + p_lease_ms * {{Ms}}, p_listener, p_shared)
                ON CONFLICT (name, waiter) DO UPDATE SET ttl_ms = excluded.ttl_ms, expires_at = excluded.expires_at, listener = excluded.listener, shared = excluded.shared;
              ELSIF NOT p_queue THEN
                DELETE FROM {{waiters}} w WHERE w.name = p_name AND w.waiter = p_token;
                IF FOUND AND v_waiting THEN
                  -- Its place may have held back the ones behind it (a writer before readers): let them in now.
                  SELECT s.o_local, s.o_local_fences, s.o_served INTO v_more, v_more_fences, v_more_served FROM {{settleFunction}}(p_name, p_token, p_listener) s;
                  o_local := o_local || v_more;
                  o_local_fences := o_local_fences || v_more_fences;
                  v_served := v_served OR v_more_served;
                END IF;
              END IF;
              IF NOT v_served THEN
                -- Only the caller's place in line changed: a crash that loses it costs a place, never a permit.
                {{NoFlush}}
              END IF;
              SELECT min(h.expires_at) INTO v_next FROM {{holders}} h WHERE h.name = p_name;
              o_retry_ms := GREATEST(1, CEIL(EXTRACT(EPOCH FROM (COALESCE(v_next, clock_timestamp() + p_lease_ms * {{Ms}}) - clock_timestamp())) * 1000))::bigint;
            END
            $coord$;

            -- Leaves the line and ends p_token's permit; a permit it freed goes on to the first live waiter, and so do
            -- the holds its place in line held back (readers behind a writer that gave up).
            -- o_released is true when a permit whose lease still ran was ended.
            CREATE OR REPLACE FUNCTION {{releaseFunction}}(
              p_name text, p_token uuid, p_listener integer,
              OUT o_released boolean, OUT o_local uuid[], OUT o_local_fences bigint[])
            LANGUAGE plpgsql VOLATILE SET enable_seqscan = off AS $coord$
            DECLARE
              v_left boolean;
              v_served boolean := false;
            BEGIN
              PERFORM {{nameLock}};
              DELETE FROM {{waiters}} w WHERE w.name = p_name AND w.waiter = p_token;
              v_left := FOUND;
              DELETE FROM {{holders}} h WHERE h.name = p_name AND h.holder = p_token RETURNING h.expires_at > clock_timestamp() INTO o_released;
              IF FOUND OR v_left THEN
                SELECT s.o_local, s.o_local_fences, s.o_served INTO o_local, o_local_fences, v_served FROM {{settleFunction}}(p_name, NULL, p_listener) s;
              END IF;
              IF NOT v_served THEN
                -- Nothing was handed on: a lost free leaves the permit to run out its lease.
                {{NoFlush}}
              END IF;
              o_released := COALESCE(o_released, false);
            END
            $coord$;
            """;

        // $1 name, $2 token, $3 ttl ms, $4 place lease ms, $5 max count, $6 shared, $7 queue (else leave), $8 listener pid (or null).
        Acquire = $"SELECT o_fence, o_retry_ms, o_active_max, o_local, o_local_fences FROM {acquireFunction}($1, $2, $3, $4, $5, $6, $7, $8)";

        // $1 name, $2 token, $3 the releaser's own listener pid (or null).
        Release = $"SELECT o_released, o_local, o_local_fences FROM {releaseFunction}($1, $2, $3)";

        // $1 name, $2 token, $3 ttl ms. Only a lease that has not yet run out is extended; its own row only.
        Renew = $"""
            UPDATE {holders} SET expires_at = clock_timestamp() + $3 * interval '1 millisecond'
            WHERE name = $1 AND holder = $2 AND expires_at > clock_timestamp()
            """;
    }

    /// <summary>The kind in the tables' names.</summary>
    public string Kind { get; }

    /// <summary>The holders table, quoted: one row per live hold (name, holder, fence, expires_at, shared).</summary>
    public string Holders { get; }

    /// <summary>The waiters table, quoted.</summary>
    public string Waiters { get; }

    public string TablesExist { get; }
    public string CreateSchema { get; }
    public string Acquire { get; }
    public string Release { get; }
    public string Renew { get; }
}
