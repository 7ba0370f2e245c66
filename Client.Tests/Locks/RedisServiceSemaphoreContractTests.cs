using Coord.Client.Tests.Infrastructure;
using Coord.Locks;
using Coord.Locks.Tests.Contract;

namespace Coord.Client.Tests.Locks;

/// <summary>
/// The semaphore contract run through Coord.Client against the service over Redis, as a separate process: each
/// contract client is a <see cref="CoordClient"/> with its own connections; Redis itself is read behind the service's back.
/// </summary>
public sealed class RedisServiceSemaphoreContractTests(ServiceOnRedisFixture fixture) : SemaphoreContractTests, IClassFixture<ServiceOnRedisFixture>
{
    private readonly List<CoordClient> _clients = [];

    protected override Task<SemaphoreProvider> CreateClientCoreAsync()
    {
        var client = fixture.NewClient();
        lock (_clients)
            _clients.Add(client);
        return Task.FromResult<SemaphoreProvider>(client.Semaphores);
    }

    protected override async Task TakeAwayAsync(string name, string holderToken)
        => Assert.True(await fixture.Redis.Raw.GetDatabase().SortedSetRemoveAsync(HoldersKey(name), holderToken),
            $"'{holderToken}' held no permit of '{name}'");

    protected override async Task<int> WaitingAsync(string name)
        => (int)await fixture.Redis.Raw.GetDatabase().SortedSetLengthAsync(QueueKey(name));

    // The key layout docs/semaphores.md gives for Redis: kind before name.
    private static string HoldersKey(string name) => $"{ServiceOnRedisFixture.KeyPrefix}sem:{name}";

    private static string QueueKey(string name) => $"{ServiceOnRedisFixture.KeyPrefix}sem-queue:{name}";

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        foreach (var client in _clients)
            await client.DisposeAsync();
    }
}
