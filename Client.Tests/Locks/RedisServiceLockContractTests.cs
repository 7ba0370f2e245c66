using Coord.Client.Tests.Infrastructure;

namespace Coord.Client.Tests.Locks;

public sealed class RedisServiceLockContractTests(ServiceOnRedisFixture fixture) : ServiceLockContractTests(fixture), IClassFixture<ServiceOnRedisFixture>
{
    protected override async Task TakeAwayAsync(string name) => Assert.True(await fixture.TakeAwayAsync(name), $"nobody held '{name}'");
}
