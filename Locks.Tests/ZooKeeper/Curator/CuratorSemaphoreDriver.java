import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.framework.recipes.locks.InterProcessSemaphoreV2;
import org.apache.curator.framework.recipes.locks.Lease;
import org.apache.curator.retry.RetryNTimes;

/**
 * Apache Curator's InterProcessSemaphoreV2 for Coord's interop tests, one line per step on stdin/stdout.
 * Arguments: connectString semaphorePath maxLeases sessionTimeoutMs.
 * In:  "A id waitMs" (take one lease, waiting at most waitMs), "R id" (return it).
 * Out: "READY" once connected, then "A id 1" (held) or "A id 0" (the wait ran out), "R id", or "E id message".
 * Every acquire runs on a thread of its own (Curator blocks) with a semaphore object of its own; all
 * leases are on one Curator client (one session). Closing stdin closes the client and exits.
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
        Map<String, Lease> leases = new ConcurrentHashMap<>();
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
}
