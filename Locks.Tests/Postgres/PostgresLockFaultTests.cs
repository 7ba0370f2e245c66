using System.Diagnostics;
using Coord.Locks.Postgres;
using Xunit.Abstractions;

namespace Coord.Locks.Tests.Postgres;

/// <summary>Server restarts and crashed holders. A class of its own: it stops and kills its server.</summary>
[Collection(PostgresTestCollection.Name)]
public sealed class PostgresLockFaultTests(PostgresServerFixture postgres, ITestOutputHelper output) : IClassFixture<PostgresServerFixture>, IAsyncLifetime
{
    private readonly PostgresClients _clients = new(postgres.Server);

    private PostgresLock Client() => _clients.Create(configure: o => o.ConnectTimeout = TimeSpan.FromSeconds(3));

    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync() => _clients.DisposeAsync().AsTask();

    [Fact]
    public async Task Holders_that_cannot_renew_while_the_server_is_down_get_Lost_and_locking_works_again_after_it_returns()
    {
        var client = Client();
        var names = Enumerable.Range(0, 5).Select(i => $"down/{Guid.NewGuid():N}/{i}").ToArray();
        var ttl = TimeSpan.FromSeconds(2);
        var held = await Task.WhenAll(names.Select(n => client.AcquireAsync(n, ttl: ttl)));

        postgres.Server.Kill();
        try
        {
            // Down for longer than the TTL: no renewal can succeed, so every hold must report itself lost.
            var lost = Task.WhenAll(held.Select(h => Task.Delay(Timeout.Infinite, h.Lost).ContinueWith(_ => { }, TaskScheduler.Default)));
            Assert.Same(lost, await Task.WhenAny(lost, Task.Delay(ttl * 2 + TimeSpan.FromSeconds(10))));
            Assert.All(held, h => Assert.True(h.IsLost));
        }
        finally
        {
            await postgres.Server.StartAgainAsync();
        }

        // The same client, without a restart, locks again; the rows survived, so fences keep rising.
        var again = await Task.WhenAll(names.Select(n => client.AcquireAsync(n, wait: TimeSpan.FromSeconds(20), ttl: TimeSpan.FromSeconds(10))));
        Assert.All(again.Zip(held), pair => Assert.True(pair.First.FencingToken > pair.Second.FencingToken));
        foreach (var h in again.Concat(held))
            await h.DisposeAsync();
    }

    [Fact]
    public async Task Holders_whose_validity_outlasts_a_quick_server_restart_keep_their_locks()
    {
        var client = Client();
        var other = Client();
        var names = Enumerable.Range(0, 5).Select(i => $"blip/{Guid.NewGuid():N}/{i}").ToArray();
        var held = await Task.WhenAll(names.Select(n => client.AcquireAsync(n, ttl: TimeSpan.FromSeconds(30))));
        // A waiter through the restart: its listener must come back by itself to hear the release.
        var waiting = other.AcquireAsync(names[0], wait: TimeSpan.FromSeconds(60));
        await postgres.WaitForQueuedAsync(names[0], 1);

        await postgres.Server.RestartAsync(kill: true);

        // Renewal goes through again on the client's pool (dead pooled connections are replaced).
        foreach (var h in held)
            Assert.True(await client.RenewAsync(h.Name, h.HolderToken, TimeSpan.FromSeconds(30)), $"renewing {h.Name} after the restart");
        Assert.All(held, h => Assert.False(h.IsLost));
        Assert.False(waiting.IsCompleted, $"the waiter ended during the restart: {waiting.Exception}");

        await held[0].ReleaseAsync();
        await using var next = await waiting;
        Assert.Equal(held[0].FencingToken + 1, next.FencingToken);
        foreach (var h in held)
            await h.DisposeAsync();
    }

    [Fact]
    public async Task A_holder_process_killed_with_SIGKILL_lets_another_process_in_within_TTL_plus_one_second()
    {
        var took = await LockHolderProcess.AssertKilledHolderFreesTheLockWithinTtlAsync(Client(), "postgres", postgres.Server.ConnectionString);
        output.WriteLine($"holder process killed (TTL 3 s): another process held the lock {took.TotalMilliseconds:0} ms later");
    }
}
