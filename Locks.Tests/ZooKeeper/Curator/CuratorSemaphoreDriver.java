import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.framework.recipes.locks.InterProcessMutex;
import org.apache.curator.framework.recipes.locks.InterProcessReadWriteLock;
import org.apache.curator.framework.recipes.locks.InterProcessSemaphoreV2;
import org.apache.curator.framework.recipes.locks.Lease;
import org.apache.curator.retry.RetryNTimes;

/**
 * Apache Curator's InterProcessSemaphoreV2 for Coord's interop tests, one line per step on stdin/stdout.
 * Arguments: connectString semaphorePath maxLeases sessionTimeoutMs.
 * In:  "A id waitMs" (take one lease, waiting at most waitMs), "R id" (return it).
 *      "RL id waitMs" / "WL id waitMs": take the read / write lock of an InterProcessReadWriteLock on the same
 *      path instead (maxLeases unused), returned with "R id" as well.
 * Out: "READY" once connected, then "A id 1" (held) or "A id 0" (the wait ran out), "R id", or "E id message".
 * Every acquire runs on a thread of its own (Curator blocks) with a semaphore or lock object of its own; all
 * holds are on one Curator client (one session). A read or write lock is released by the thread that took it
 * (Curator's rule), which waits for "R id" to do so. Closing stdin closes the client and exits.
 */
public final class CuratorSemaphoreDriver {
    private static final PrintStream OUT = new PrintStream(System.out, true, StandardCharsets.UTF_8);

    public static void main(String[] args) throws Exception {
        String path = args[1];
        int maxLeases = Integer.parseInt(args[2]);
        CuratorFramework client = CuratorFrameworkFactory.newClient(args[0], Integer.parseInt(args[3]), 10_000, new RetryNTimes(3, 100));
        client.start();
        if (!client.blockUntilConnected(30, TimeUnit.SECONDS)) {
            OUT.println("E 0 could not connect to " + args[0]);
            System.exit(1);
        }
        Map<String, AutoCloseable> leases = new ConcurrentHashMap<>();
        ExecutorService threads = Executors.newCachedThreadPool();
        OUT.println("READY");
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        String line;
        while ((line = in.readLine()) != null) {
            String[] step = line.split(" ");
            String id = step[1];
            if (step[0].equals("A")) {
                long waitMs = Long.parseLong(step[2]);
                threads.execute(() -> {
                    try {
                        Lease lease = new InterProcessSemaphoreV2(client, path, maxLeases).acquire(waitMs, TimeUnit.MILLISECONDS);
                        if (lease != null) leases.put(id, lease);
                        OUT.println("A " + id + (lease != null ? " 1" : " 0"));
                    } catch (Exception e) {
                        OUT.println("E " + id + " " + e);
                    }
                });
            } else if (step[0].equals("RL") || step[0].equals("WL")) {
                long waitMs = Long.parseLong(step[2]);
                InterProcessReadWriteLock rw = new InterProcessReadWriteLock(client, path);
                InterProcessMutex mutex = step[0].equals("WL") ? rw.writeLock() : rw.readLock();
                threads.execute(() -> holdUntilReturned(mutex, id, waitMs, leases));
            } else if (step[0].equals("R")) {
                threads.execute(() -> {
                    try {
                        leases.remove(id).close();
                        OUT.println("R " + id);
                    } catch (Exception e) {
                        OUT.println("E " + id + " " + e);
                    }
                });
            } else {
                OUT.println("E " + id + " unknown step " + step[0]);
            }
        }
        threads.shutdown();
        threads.awaitTermination(10, TimeUnit.SECONDS);
        client.close();
        System.exit(0);
    }

    /** Takes the lock, then holds it on this thread until "R id" asks for it back (Curator releases only on the owning thread). */
    private static void holdUntilReturned(InterProcessMutex mutex, String id, long waitMs, Map<String, AutoCloseable> leases) {
        CountDownLatch returned = new CountDownLatch(1);
        CountDownLatch released = new CountDownLatch(1);
        try {
            if (!mutex.acquire(waitMs, TimeUnit.MILLISECONDS)) {
                OUT.println("A " + id + " 0");
                return;
            }
            leases.put(id, () -> {
                returned.countDown();
                released.await();
            });
            OUT.println("A " + id + " 1");
            returned.await();
            mutex.release();
        } catch (Exception e) {
            OUT.println("E " + id + " " + e);
        } finally {
            released.countDown();
        }
    }
}
