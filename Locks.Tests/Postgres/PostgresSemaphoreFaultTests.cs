using Coord.Locks.Postgres;
using Xunit.Abstractions;

namespace Coord.Locks.Tests.Postgres;

/// <summary>A crashed permit holder: a class of its own, like the lock's fault tests.</summary>
[Collection(PostgresTestCollection.Name)]
public sealed class PostgresSemaphoreFaultTests(PostgresServerFixture postgres, ITestOutputHelper output) : IClassFixture<PostgresServerFixture>
{
    [Fact]
    public async Task SIGKILL_of_a_process_holding_every_permit_frees_them_within_TTL_plus_1_s_to_waiters_with_higher_fences()
    {
        await using var client = new PostgresSemaphore(new PostgresLockOptions { ConnectionString = postgres.Server.ConnectionString });
        var took = await LockHolderProcess.AssertKilledPermitHolderFreesThePermitsWithinTtlAsync(client, "postgres-semaphore", postgres.Server.ConnectionString);
        output.WriteLine($"holder process killed (TTL 3 s): both permits held again {took.TotalMilliseconds:0} ms later");
    }
}
