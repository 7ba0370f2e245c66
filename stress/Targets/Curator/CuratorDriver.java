import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.curator.framework.recipes.leader.LeaderLatch;
import org.apache.curator.framework.recipes.locks.InterProcessMutex;
import org.apache.curator.framework.recipes.locks.InterProcessReadWriteLock;
import org.apache.curator.framework.recipes.locks.InterProcessSemaphoreV2;
import org.apache.curator.framework.recipes.locks.Lease;
import org.apache.curator.retry.ExponentialBackoffRetry;

/**
 * Drives Apache Curator's InterProcessMutex, InterProcessSemaphoreV2, InterProcessReadWriteLock and LeaderLatch
 * for Coord's stress runner, one line per step on stdin/stdout.
 * In:  "A req client ttlMs waitMs path" (acquire the mutex), "S req client ttlMs waitMs permits path" (acquire
 *      a lease of the semaphore), "W req client ttlMs waitMs path" / "Q req client ttlMs waitMs path" (the write /
 *      read lock of an InterProcessReadWriteLock), "L req client ttlMs waitMs path" (start a LeaderLatch and await
 *      leadership), "R req" (release any of them; a latch is closed), "C client" (close the client).
 * Out: "A req 1" (held) or "A req 0" (wait ran out) for A, S, W and Q; "L req 1 turnover" (leader, with the count
 *      of leaderships this driver has seen on that path, as Curator gives no term) or "L req 0"; "R req",
 *      "C client", or "E req message" on failure.
 * Each client is its own CuratorFramework (its own session, as a separate process would have), created
 * on its first acquire with the TTL as session timeout, and runs its steps on a thread of its own,
 * because InterProcessMutex must be released by the thread that acquired it.
 */
public final class CuratorDriver {
    private static final Object OUT_LOCK = new Object();
    private static BufferedWriter out;
    private static final Map<Integer, CuratorFramework> CLIENTS = new ConcurrentHashMap<>();
    private static final Map<Integer, ExecutorService> LANES = new ConcurrentHashMap<>();
    private static final Map<Long, Hold> HELD = new ConcurrentHashMap<>();
    private static final Map<Long, Integer> LANE_OF = new ConcurrentHashMap<>();
    private static final Map<String, AtomicLong> TURNOVERS = new ConcurrentHashMap<>();

    public static void main(String[] args) throws Exception {
        String connectString = args[0];
        out = new BufferedWriter(new OutputStreamWriter(System.out, StandardCharsets.UTF_8));
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        reply("READY");
        String line;
        while ((line = in.readLine()) != null) {
            String[] p = line.split(" ", 6);
            switch (p[0]) {
                case "A":
                case "S": {
                    // A mutex is asked for with no permits field; 0 permits below means the mutex.
                    String[] q = line.split(" ", p[0].equals("S") ? 7 : 6);
                    long req = Long.parseLong(q[1]);
                    int client = Integer.parseInt(q[2]);
                    int ttlMs = Integer.parseInt(q[3]);
                    long waitMs = Long.parseLong(q[4]);
                    int permits = p[0].equals("S") ? Integer.parseInt(q[5]) : 0;
                    String path = q[q.length - 1];
                    LANE_OF.put(req, client);
                    lane(client).execute(() -> acquire(connectString, req, client, ttlMs, waitMs, permits, path));
                    break;
                }
                case "W":
                case "Q":
                case "L": {
                    String[] q = line.split(" ", 6);
                    long req = Long.parseLong(q[1]);
                    int client = Integer.parseInt(q[2]);
                    int ttlMs = Integer.parseInt(q[3]);
                    long waitMs = Long.parseLong(q[4]);
                    char kind = p[0].charAt(0);
                    LANE_OF.put(req, client);
                    lane(client).execute(() -> acquireOther(connectString, req, client, ttlMs, waitMs, kind, q[5]));
                    break;
                }
                case "R": {
                    long req = Long.parseLong(p[1]);
                    lane(LANE_OF.remove(req)).execute(() -> release(req));
                    break;
                }
                case "C": {
                    // Closed here, not on the client's lane: a step the runner gave up on at the end of a run may
                    // still wait there (a latch or lock wait of up to waitMs), and may even have won a hold nobody
                    // will release. Closing the session ends its holds and its place in line, so the other
                    // clients' waits end too.
                    int client = Integer.parseInt(p[1]);
                    CuratorFramework c = CLIENTS.remove(client);
                    if (c != null) c.close();
                    reply("C " + client);
                    break;
                }
                default:
                    reply("E 0 unknown command " + p[0]);
            }
        }
        for (CuratorFramework c : CLIENTS.values()) c.close();
        System.exit(0);
    }

    private static ExecutorService lane(int client) {
        return LANES.computeIfAbsent(client, k -> Executors.newSingleThreadExecutor());
    }

    /** What release undoes: a mutex hold or a semaphore lease. */
    private interface Hold {
        void release() throws Exception;
    }

    private static CuratorFramework clientOf(String connectString, int client, int ttlMs) throws Exception {
        CuratorFramework c = CLIENTS.get(client);
        if (c == null) {
            c = CuratorFrameworkFactory.builder().connectString(connectString).sessionTimeoutMs(ttlMs)
                    .connectionTimeoutMs(15000).retryPolicy(new ExponentialBackoffRetry(100, 3)).build();
            c.start();
            if (!c.blockUntilConnected(30, TimeUnit.SECONDS)) throw new IllegalStateException("no connection to " + connectString);
            CLIENTS.put(client, c);
        }
        return c;
    }

    /** The write lock (W), read lock (Q) or a leader latch (L) of path. */
    private static void acquireOther(String connectString, long req, int client, int ttlMs, long waitMs, char kind, String path) {
        try {
            CuratorFramework c = clientOf(connectString, client, ttlMs);
            if (kind == 'L') {
                LeaderLatch latch = new LeaderLatch(c, path, Integer.toString(client));
                latch.start();
                if (latch.await(waitMs, TimeUnit.MILLISECONDS)) {
                    long turnover = TURNOVERS.computeIfAbsent(path, k -> new AtomicLong()).incrementAndGet();
                    HELD.put(req, latch::close);
                    reply("L " + req + " 1 " + turnover);
                } else {
                    latch.close();
                    reply("L " + req + " 0");
                }
                return;
            }
            InterProcessReadWriteLock rw = new InterProcessReadWriteLock(c, path);
            InterProcessMutex mutex = kind == 'W' ? rw.writeLock() : rw.readLock();
            if (mutex.acquire(waitMs, TimeUnit.MILLISECONDS)) {
                HELD.put(req, mutex::release);
                reply(kind + " " + req + " 1");
            } else {
                reply(kind + " " + req + " 0");
            }
        } catch (Exception e) {
            reply("E " + req + " " + describe(e));
        }
    }

    private static void acquire(String connectString, long req, int client, int ttlMs, long waitMs, int permits, String path) {
        try {
            CuratorFramework c = clientOf(connectString, client, ttlMs);
            Hold hold = null;
            if (permits == 0) {
                InterProcessMutex mutex = new InterProcessMutex(c, path);
                if (mutex.acquire(waitMs, TimeUnit.MILLISECONDS)) hold = mutex::release;
            } else {
                Lease lease = new InterProcessSemaphoreV2(c, path, permits).acquire(waitMs, TimeUnit.MILLISECONDS);
                if (lease != null) hold = lease::close;
            }
            if (hold != null) {
                HELD.put(req, hold);
                reply("A " + req + " 1");
            } else {
                reply("A " + req + " 0");
            }
        } catch (Exception e) {
            reply("E " + req + " " + describe(e));
        }
    }

    private static void release(long req) {
        try {
            Hold hold = HELD.remove(req);
            if (hold != null) hold.release();
            reply("R " + req);
        } catch (Exception e) {
            reply("E " + req + " " + describe(e));
        }
    }

    private static String describe(Exception e) {
        return (e.getClass().getSimpleName() + ": " + e.getMessage()).replace('\n', ' ');
    }

    private static void reply(String line) {
        synchronized (OUT_LOCK) {
            try {
                out.write(line);
                out.newLine();
                out.flush();
            } catch (Exception e) {
                System.exit(1);
            }
        }
    }
}
