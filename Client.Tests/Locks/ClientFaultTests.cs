using System.Diagnostics;
using Coord.Client.Tests.Infrastructure;
using Coord.Locks;
using Coord.Locks.Tests;
using Xunit.Abstractions;

namespace Coord.Client.Tests.Locks;

/// <summary>Processes that die or stop: a client holder killed with SIGKILL, and the service paused with SIGSTOP.</summary>
public sealed class ClientFaultTests(ServiceOnRedisFixture fixture, ITestOutputHelper output) : IClassFixture<ServiceOnRedisFixture>
{
    [Fact]
    public async Task A_client_process_killed_while_holding_frees_the_lock_within_TTL_plus_one_second()
    {
        await using var client = fixture.NewClient();
        // The holder process (tools/Coord.LockHolder http mode) holds through its own CoordClient, renewing.
        var took = await LockHolderProcess.AssertKilledHolderFreesTheLockWithinTtlAsync(client.Locks, "http", fixture.HolderConnection);
        output.WriteLine($"acquired {took.TotalMilliseconds:0} ms after the SIGKILL (TTL 3,000 ms)");
        Assert.True(took > TimeSpan.FromSeconds(1), $"the lock was free {took.TotalMilliseconds:0} ms after the kill: the dead holder's lease cannot have run out yet");
    }

    [Fact]
    public async Task A_client_cut_off_from_the_paused_service_fires_Lost_at_its_validity_deadline_while_the_renewal_is_still_in_flight()
    {
        var ttl = TimeSpan.FromSeconds(3);
        // A renewal call to a paused service would not come back for a minute: Lost must not wait for it.
        await using var client = fixture.NewClient(o => o.ConnectTimeout = TimeSpan.FromMinutes(1));
        await using var other = fixture.NewClient();
        var name = $"cut-off/{Guid.NewGuid():N}";
        var held = await client.Locks.AcquireAsync(name, ttl: ttl);
        var lostAt = new TaskCompletionSource<DateTimeOffset>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var registration = held.Lost.Register(() => lostAt.TrySetResult(DateTimeOffset.UtcNow));
        var renewalsBefore = client.Locks.Metrics.RequestCount("renew");

        fixture.Service.Pause();
        try
        {
            // An answer already on its way when the service stopped may still move the deadline; after that it is fixed.
            await Task.Delay(TimeSpan.FromMilliseconds(300));
            var deadline = held.ValidUntil;
            Assert.False(held.IsLost);

            var fired = await Task.WhenAny(lostAt.Task, Task.Delay(ttl * 3));
            Assert.Same(lostAt.Task, fired);
            var at = await lostAt.Task;
            output.WriteLine($"Lost fired {(at - deadline).TotalMilliseconds:0.#} ms after the validity deadline; renewals sent to the paused service: {client.Locks.Metrics.RequestCount("renew") - renewalsBefore}");
            Assert.True(at >= deadline - TimeSpan.FromMilliseconds(50), $"Lost fired at {at:HH:mm:ss.fff}, before the deadline {deadline:HH:mm:ss.fff}");
            Assert.True(at <= deadline + TimeSpan.FromMilliseconds(750), $"Lost fired at {at:HH:mm:ss.fff}, {(at - deadline).TotalMilliseconds:0} ms after the deadline {deadline:HH:mm:ss.fff}");
            Assert.True(client.Locks.Metrics.RequestCount("renew") > renewalsBefore, "no renewal was sent to the paused service, so none was in flight");
        }
        finally
        {
            fixture.Service.Resume();
        }

        // The service's lease ran out as the client said: another client gets the lock, and the old handle stays lost.
        var clock = Stopwatch.StartNew();
        await using var next = await other.Locks.AcquireAsync(name, wait: ttl * 3);
        Assert.True(held.IsLost);
        Assert.True(next.FencingToken > held.FencingToken);
        await held.DisposeAsync();
        Assert.False(next.IsLost);
        Assert.True(clock.Elapsed < ttl * 3);
    }

    [Fact]
    public async Task A_call_to_the_paused_service_fails_after_the_per_call_timeout_with_a_LockBackendException()
    {
        await using var client = fixture.NewClient(o =>
        {
            o.ConnectTimeout = TimeSpan.FromSeconds(1);
            o.MaxRetries = 0;
        });
        var name = $"paused/{Guid.NewGuid():N}";
        Assert.False((await client.Locks.GetStatusAsync(name)).Held); // a connection is open before the pause
        fixture.Service.Pause();
        try
        {
            var status = await Assert.ThrowsAsync<LockBackendException>(() => client.Locks.GetStatusAsync(name));
            Assert.Contains("within 1000 ms", status.ToString(), StringComparison.Ordinal);
            var acquire = await Assert.ThrowsAsync<LockBackendException>(() => client.Locks.TryAcquireAsync(name, wait: TimeSpan.FromSeconds(1)));
            Assert.Contains("within 2000 ms", acquire.ToString(), StringComparison.Ordinal);
        }
        finally
        {
            fixture.Service.Resume();
        }
        await using var held = await client.Locks.AcquireAsync(name, wait: TimeSpan.FromSeconds(10));
    }
}
