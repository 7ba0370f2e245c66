using Coord.Client.Tests.Infrastructure;

namespace Coord.Client.Tests.Locks;

public sealed class PostgresServiceLockContractTests(ServiceOnPostgresFixture fixture) : ServiceLockContractTests(fixture), IClassFixture<ServiceOnPostgresFixture>
{
    protected override async Task TakeAwayAsync(string name) => Assert.Equal(1, await fixture.TakeAwayAsync(name));
}
