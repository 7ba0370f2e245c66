using Coord.Locks.ZooKeeper;
using Xunit.Abstractions;

namespace Coord.Locks.Tests.ZooKeeper;

public sealed class ZooKeeperReaderWriterLockFaultTests(ZooKeeperServerFixture zookeeper, ITestOutputHelper output) : IClassFixture<ZooKeeperServerFixture>
{
    [Fact]
    public async Task SIGKILL_of_a_writer_process_lets_the_queued_readers_in_within_its_session_timeout_plus_1_s_with_higher_fences()
    {
        // A step of the session pool (100 ms × 2^5) inside the test server's bounds (1 to 10 s): the holder's session timeout is exactly this.
        var sessionTimeout = TimeSpan.FromMilliseconds(3200);
        await using var client = new ZooKeeperReaderWriterLock(new ZooKeeperLockOptions { ConnectString = zookeeper.Server.ConnectString, MinimumSessionTimeout = Coord.Testing.ZooKeeperNode.MinimumSessionTimeout });
        output.WriteLine(await KilledWriter.AssertReadersGetInWithinTtlAsync(client, "zookeeper-writer", zookeeper.Server.ConnectString, sessionTimeout));
    }
}
