using Coord.Locks.Postgres;
using Coord.Locks.Tests.Contract;

namespace Coord.Locks.Tests.Postgres;

[Collection(PostgresTestCollection.Name)]
public sealed class PostgresLockContractTests(PostgresServerFixture postgres) : LockContractTests, IClassFixture<PostgresServerFixture>
{
    protected override Task<LockProvider> CreateClientCoreAsync()
        => Task.FromResult<LockProvider>(new PostgresLock(new PostgresLockOptions { ConnectionString = postgres.Server.ConnectionString }));

    protected override async Task TakeAwayAsync(string name)
        => Assert.Equal(1, await postgres.ExecuteAsync(
            "UPDATE public.coord_locks SET holder = NULL, expires_at = NULL WHERE name = $1 AND holder IS NOT NULL", name));
}
