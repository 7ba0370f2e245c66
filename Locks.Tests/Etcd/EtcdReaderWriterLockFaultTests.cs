using Coord.Locks.Etcd;
using Xunit.Abstractions;

namespace Coord.Locks.Tests.Etcd;

public sealed class EtcdReaderWriterLockFaultTests(EtcdServerFixture etcd, ITestOutputHelper output) : IClassFixture<EtcdServerFixture>
{
    [Fact]
    public async Task SIGKILL_of_a_writer_process_lets_the_queued_readers_in_within_the_session_TTL_plus_1_s_with_higher_fences()
    {
        // The holder's session lease is this TTL (whole seconds): etcd ends it, and with it the writer's key, after the kill.
        var ttl = TimeSpan.FromSeconds(3);
        await using var client = new EtcdReaderWriterLock(new EtcdLockOptions { Endpoints = [etcd.Server.ClientUrl] });
        output.WriteLine(await KilledWriter.AssertReadersGetInWithinTtlAsync(client, "etcd-writer", etcd.Server.ClientUrl, ttl));
    }
}
