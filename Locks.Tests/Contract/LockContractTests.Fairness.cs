using System.Diagnostics;

namespace Coord.Locks.Tests.Contract;

public abstract partial class LockContractTests
{
    /// <summary>How long one hold lasts in the fairness test.</summary>
    protected static readonly TimeSpan FairnessHold = TimeSpan.FromMilliseconds(10);

    /// <summary>
    /// Time a hand-off may take on top of the hold (release, notification, acquire reply). Generous:
    /// this is a bound against starvation, not a speed goal.
    /// </summary>
    protected virtual TimeSpan HandOffAllowance => TimeSpan.FromMilliseconds(250);

    /// <summary>
    /// 16 clients each take the lock, hold it briefly and ask again at once. With waiters served in
    /// arrival order, no wait can exceed (clients - 1) x (hold + hand-off); a barging releaser would
    /// starve someone far past that.
    /// </summary>
    [Fact]
    public async Task Sixteen_greedy_clients_all_get_a_share_and_no_wait_exceeds_the_queue_bound()
    {
        const int clientCount = 16;
        var name = NewName("fair");
        var clients = new LockProvider[clientCount];
        for (var i = 0; i < clientCount; i++)
            clients[i] = await CreateClientAsync();

        var counts = new int[clientCount];
        var longestWaitTicks = new long[clientCount];
        var run = Stopwatch.StartNew();
        // At least 4 s, and on a slow machine long enough for three full rounds, so "a share" means something.
        var duration = TimeSpan.FromSeconds(4);
        var enough = clientCount * 3;
        var total = 0;
        var section = new OverlapDetector();

        async Task Greedy(int index)
        {
            var client = clients[index];
            while (run.Elapsed < duration || (Volatile.Read(ref total) < enough && run.Elapsed < NoHang))
            {
                var asked = Stopwatch.GetTimestamp();
                await using var held = await client.AcquireAsync(name, wait: NoHang, ttl: TimeSpan.FromSeconds(10));
                var waited = Stopwatch.GetElapsedTime(asked).Ticks;
                if (run.Elapsed > TimeSpan.FromSeconds(0.5)) // the first round includes connection set-up
                    longestWaitTicks[index] = Math.Max(longestWaitTicks[index], waited);
                section.Enter();
                counts[index]++;
                Interlocked.Increment(ref total);
                await Task.Delay(FairnessHold);
                section.Leave();
            }
        }

        await Task.WhenAll(Enumerable.Range(0, clientCount).Select(i => Task.Run(() => Greedy(i))));

        var bound = (FairnessHold + HandOffAllowance) * clientCount;
        var longest = TimeSpan.FromTicks(longestWaitTicks.Max());
        var jain = JainIndex(counts);
        Assert.Equal(0, section.Overlaps);
        Assert.All(counts, c => Assert.True(c >= 2, $"a client got only {c} acquisitions: [{string.Join(", ", counts)}]"));
        Assert.True(longest <= bound, $"longest wait {longest.TotalMilliseconds:0} ms exceeds the bound {bound.TotalMilliseconds:0} ms = {clientCount} x (hold {FairnessHold.TotalMilliseconds} ms + hand-off {HandOffAllowance.TotalMilliseconds} ms); counts [{string.Join(", ", counts)}]");
        Assert.True(jain >= 0.9, $"Jain's fairness index {jain:0.000} is below 0.9; counts [{string.Join(", ", counts)}]");
    }

    /// <summary>Jain's index: 1 when every client got the same number, 1/n when one got all.</summary>
    internal static double JainIndex(IReadOnlyCollection<int> counts)
    {
        double sum = counts.Sum(), squares = counts.Sum(c => (double)c * c);
        return squares == 0 ? 1 : sum * sum / (counts.Count * squares);
    }
}
