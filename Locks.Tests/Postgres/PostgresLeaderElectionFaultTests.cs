using Coord.LockHolder;
using Coord.Locks.Postgres;
using Coord.Locks.Tests.Contract;
using Xunit.Abstractions;

namespace Coord.Locks.Tests.Postgres;

[Collection(PostgresTestCollection.Name)]
public sealed class PostgresLeaderElectionFaultTests(PostgresServerFixture postgres, ITestOutputHelper output) : LeaderElectionFaultTests(output), IClassFixture<PostgresServerFixture>
{
    protected override string Mode => "postgres-leader";

    protected override string Connection => postgres.Server.ConnectionString;

    protected override LeaderElectionProvider CreateClientCore() => new PostgresLeaderElection(new PostgresLockOptions { ConnectionString = postgres.Server.ConnectionString });

    protected override Task<bool> WriteAsync(string register, long term, string payload) => PostgresFencedRegister.WriteAsync(postgres.Raw, register, term, payload);

    protected override Task<(long? Term, string? Payload)> ReadAsync(string register) => PostgresFencedRegister.ReadAsync(postgres.Raw, register);
}
