using Coord.Client.Tests.Infrastructure;
using Coord.Locks;
using Microsoft.Extensions.Logging;

namespace Coord.Client.Tests.Locks;

/// <summary>What the client adds to the shared lock machinery: waits longer than one request, leases granted late, secrets.</summary>
public sealed class ClientLockTests(ServiceOnRedisFixture fixture) : IClassFixture<ServiceOnRedisFixture>
{
    private static string NewName(string hint) => $"client/{hint}/{Guid.NewGuid():N}";

    [Fact]
    public async Task A_wait_longer_than_one_request_asks_again_until_it_gets_the_lock_or_its_wait_runs_out()
    {
        await using var a = fixture.NewClient();
        await using var b = fixture.NewClient(o => o.MaxWaitPerRequest = TimeSpan.FromMilliseconds(500));
        var name = NewName("long-wait");
        var held = await a.Locks.AcquireAsync(name, ttl: TimeSpan.FromSeconds(30));

        var before = b.Locks.Metrics.RequestCount("acquire");
        var timeout = await Assert.ThrowsAsync<LockTimeoutException>(() => b.Locks.AcquireAsync(name, wait: TimeSpan.FromMilliseconds(1200)));
        Assert.Equal(TimeSpan.FromMilliseconds(1200), timeout.Waited);
        Assert.Equal(3, b.Locks.Metrics.RequestCount("acquire") - before);

        before = b.Locks.Metrics.RequestCount("acquire");
        var waiting = b.Locks.AcquireAsync(name, wait: TimeSpan.FromSeconds(30));
        await Task.Delay(TimeSpan.FromSeconds(1.6));
        Assert.False(waiting.IsCompleted);
        await held.ReleaseAsync();
        await using var next = await waiting;
        Assert.True(next.FencingToken > held.FencingToken);
        Assert.InRange(b.Locks.Metrics.RequestCount("acquire") - before, 4, 10);
    }

    [Fact]
    public async Task A_lock_granted_after_a_wait_longer_than_half_its_TTL_is_renewed_at_once_and_counted_from_that_renewal()
    {
        await using var a = fixture.NewClient();
        await using var b = fixture.NewClient();
        var name = NewName("late-grant");
        var ttl = TimeSpan.FromSeconds(2);
        var held = await a.Locks.AcquireAsync(name, ttl: TimeSpan.FromSeconds(30));

        var waiting = b.Locks.AcquireAsync(name, wait: TimeSpan.FromSeconds(20), ttl: ttl);
        await Task.Delay(ttl * 0.9);
        var renewalsBefore = b.Locks.Metrics.RequestCount("renew");
        await held.ReleaseAsync();
        await using var next = await waiting;

        // Counted from the acquire request, the hold would have had at most 1.1 s left; from the renewal it has nearly 2 s.
        Assert.True(b.Locks.Metrics.RequestCount("renew") > renewalsBefore, "the late grant was not confirmed by a renewal");
        Assert.True(next.ValidUntil > DateTimeOffset.UtcNow + ttl * 0.6, $"valid for only {(next.ValidUntil - DateTimeOffset.UtcNow).TotalMilliseconds:0} ms of a {ttl.TotalMilliseconds:0} ms lease");
        Assert.False(next.IsLost);
        Assert.Null(await a.Locks.TryAcquireAsync(name));
    }

    [Fact]
    public async Task The_holder_token_and_API_key_appear_in_no_log_line_and_not_in_the_handles_text()
    {
        var logs = new CapturingLoggerProvider();
        using var loggers = LoggerFactory.Create(b => b.SetMinimumLevel(LogLevel.Trace).AddProvider(logs));
        await using var client = CoordClient.Create(o =>
        {
            o.BaseAddress = fixture.Service.BaseAddress;
            o.ApiKey = ServiceFixture.ApiKey;
        }, loggers);
        var name = NewName("secret");

        var held = await client.Locks.AcquireAsync(name, ttl: TimeSpan.FromSeconds(1.5));
        await Task.Delay(TimeSpan.FromSeconds(1.2)); // past a renewal or two
        Assert.True(await client.Locks.RenewAsync(name, held.HolderToken, TimeSpan.FromSeconds(2)));
        var text = held.ToString()!;
        await held.ReleaseAsync();
        var lease = await client.Locks.TryAcquireLeaseAsync(name, ttl: TimeSpan.FromSeconds(5));
        Assert.NotNull(lease);
        Assert.Contains(name, lease.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain(lease.HolderToken, lease.ToString(), StringComparison.Ordinal);
        Assert.True(await client.Locks.ReleaseAsync(name, lease.HolderToken));

        Assert.Matches("^[0-9a-f]{32}$", held.HolderToken);
        Assert.DoesNotContain(held.HolderToken, text, StringComparison.Ordinal);
        var lines = logs.Lines;
        Assert.Contains(lines, l => l.Contains("v1/locks/", StringComparison.Ordinal)); // the requests were logged...
        Assert.DoesNotContain(lines, l => l.Contains(held.HolderToken, StringComparison.Ordinal) || l.Contains(lease.HolderToken, StringComparison.Ordinal)); // ...without the secrets
        Assert.DoesNotContain(lines, l => l.Contains(ServiceFixture.ApiKey, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Names_that_look_like_path_segments_or_escapes_reach_the_service_as_themselves()
    {
        await using var a = fixture.NewClient();
        await using var b = fixture.NewClient();
        var stem = Guid.NewGuid().ToString("N")[..8];
        // Not "..": the service's router drops it as a dot segment, whatever the escaping (a service limit, reported).
        string[] names = [".", $"{stem}/..", $"..{stem}", $"{stem}/./x", $"{stem}%2F", $"{stem}?q=1", $"{stem}#f", $"{stem}+ +"];
        foreach (var name in names)
        {
            await using var held = await a.Locks.AcquireAsync(name, ttl: TimeSpan.FromSeconds(30));
            var status = await b.Locks.GetStatusAsync(name);
            Assert.True(status.Held, $"'{name}' is not held by that name");
            Assert.Equal(name, status.Name);
            Assert.Equal(held.FencingToken, status.FencingToken);
        }
    }
}
