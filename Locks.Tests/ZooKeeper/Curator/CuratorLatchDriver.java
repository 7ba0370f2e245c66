import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.framework.recipes.leader.LeaderLatch;
import org.apache.curator.retry.RetryNTimes;

/**
 * Apache Curator's LeaderLatch for Coord's election interop tests, one line per step on stdin/stdout.
 * Arguments: connectString latchPath sessionTimeoutMs.
 * In:  "S id participant" (a new latch with that participant id joins), "A id waitMs" (await leadership at most waitMs),
 *      "L id" (who leads, as the latch sees it), "C id" (close the latch: leave the election).
 * Out: "READY" once connected, then "S id", "A id 1" (leads) or "A id 0", "L id participant", "C id", or "E id message".
 * Steps run on threads of their own (await blocks); one latch at a time, on one Curator client (one session).
 */
public final class CuratorLatchDriver {
    private static final PrintStream OUT = new PrintStream(System.out, true, StandardCharsets.UTF_8);

    public static void main(String[] args) throws Exception {
        String path = args[1];
        CuratorFramework client = CuratorFrameworkFactory.newClient(args[0], Integer.parseInt(args[2]), 10_000, new RetryNTimes(3, 100));
        client.start();
        if (!client.blockUntilConnected(30, TimeUnit.SECONDS)) {
            OUT.println("E 0 could not connect to " + args[0]);
            System.exit(1);
        }
        AtomicReference<LeaderLatch> latch = new AtomicReference<>();
        ExecutorService threads = Executors.newCachedThreadPool();
        OUT.println("READY");
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        String line;
        while ((line = in.readLine()) != null) {
            String[] step = line.split(" ", 3);
            String verb = step[0];
            String id = step[1];
            threads.execute(() -> {
                try {
                    switch (verb) {
                        case "S" -> {
                            LeaderLatch joined = new LeaderLatch(client, path, step[2]);
                            joined.start();
                            latch.set(joined);
                            OUT.println("S " + id);
                        }
                        case "A" -> OUT.println("A " + id + (latch.get().await(Long.parseLong(step[2]), TimeUnit.MILLISECONDS) ? " 1" : " 0"));
                        case "L" -> OUT.println("L " + id + " " + latch.get().getLeader().getId());
                        case "C" -> {
                            latch.getAndSet(null).close();
                            OUT.println("C " + id);
                        }
                        default -> OUT.println("E " + id + " unknown step " + verb);
                    }
                } catch (Exception e) {
                    OUT.println("E " + id + " " + e);
                }
            });
        }
        threads.shutdown();
        threads.awaitTermination(10, TimeUnit.SECONDS);
        client.close();
        System.exit(0);
    }
}
