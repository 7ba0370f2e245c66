using Coord.Locks.Postgres;
using Xunit.Abstractions;

namespace Coord.Locks.Tests.Postgres;

/// <summary>A crashed writer: a class of its own, like the lock's fault tests.</summary>
[Collection(PostgresTestCollection.Name)]
public sealed class PostgresReaderWriterLockFaultTests(PostgresServerFixture postgres, ITestOutputHelper output) : IClassFixture<PostgresServerFixture>
{
    [Fact]
    public async Task SIGKILL_of_a_writer_process_lets_the_waiting_readers_in_within_TTL_plus_1_s_with_higher_fences()
    {
        await using var client = new PostgresReaderWriterLock(new PostgresLockOptions { ConnectionString = postgres.Server.ConnectionString });
        output.WriteLine(await KilledWriter.AssertReadersGetInWithinTtlAsync(client, "postgres-writer", postgres.Server.ConnectionString, TimeSpan.FromSeconds(3)));
    }
}
