using System.Diagnostics;
using Coord.Locks.Etcd;
using Etcdserverpb;
using Google.Protobuf;
using Microsoft.Extensions.DependencyInjection;
using Xunit.Abstractions;

namespace Coord.Locks.Tests.Etcd;

/// <summary>What the etcd semaphore adds to the contract: its key layout, its session use, its cost per permit, and a crashed holder.</summary>
public sealed class EtcdSemaphoreTests(EtcdServerFixture etcd, ITestOutputHelper output) : IClassFixture<EtcdServerFixture>, IAsyncLifetime
{
    private static readonly TimeSpan NoHang = TimeSpan.FromSeconds(30);
    private readonly List<EtcdSemaphore> _clients = [];

    private EtcdSemaphore Client()
    {
        var client = new EtcdSemaphore(new EtcdLockOptions { Endpoints = [etcd.Server.ClientUrl], Prefix = EtcdServerFixture.Prefix });
        lock (_clients)
            _clients.Add(client);
        return client;
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var client in _clients)
            await client.DisposeAsync();
    }

    private Task<(IReadOnlyList<Mvccpb.KeyValue> Line, int? MaxCount)> ReadAsync(string name) => EtcdSemaphoreLine.ReadAsync(etcd.Raw, name);

    private async Task UntilWaitingAsync(string name, int count)
    {
        var deadline = DateTime.UtcNow + NoHang;
        int waiting;
        while ((waiting = await EtcdSemaphoreLine.WaitingAsync(etcd.Raw, name)) != count)
        {
            Assert.True(DateTime.UtcNow < deadline, $"{waiting} waited in line for '{name}', not {count}");
            await Task.Delay(10);
        }
    }

    [Fact]
    public async Task SIGKILL_of_a_process_holding_every_permit_frees_them_within_the_session_TTL_plus_1_s_to_the_waiters_ahead_not_a_newcomer()
    {
        const int maxCount = 2;
        var name = $"crash/sem/{Guid.NewGuid():N}";
        var ttl = TimeSpan.FromSeconds(3);
        var waiters = Client();
        var newcomer = Client();
        await using var holder = await LockHolderProcess.StartAsync("etcd-semaphore", etcd.Server.ClientUrl, name, ttl, TimeSpan.FromSeconds(60), count: maxCount);
        Assert.Equal(maxCount, holder.FencingTokens.Count);
        var (line, _) = await ReadAsync(name);
        Assert.Single(line.Select(kv => kv.Lease).Distinct()); // both permits on the process's one session

        var first = waiters.AcquireAsync(name, maxCount, wait: NoHang);
        var second = waiters.AcquireAsync(name, maxCount, wait: NoHang);
        await UntilWaitingAsync(name, 2);
        // Outlive a few keep-alives first, so the lease being waited out is one the dead process renewed.
        await Task.Delay(ttl);
        Assert.False(first.IsCompleted || second.IsCompleted, "a waiter got a permit while the holder process lived");

        holder.Kill();
        var sinceKill = Stopwatch.StartNew();
        var late = newcomer.AcquireAsync(name, maxCount, wait: NoHang);
        await using var a = await first;
        await using var b = await second;
        var took = sinceKill.Elapsed;
        output.WriteLine($"both permits were the waiters' {took.TotalMilliseconds:0} ms after the kill (session TTL {ttl.TotalMilliseconds:0} ms)");

        Assert.True(took <= ttl + TimeSpan.FromSeconds(1), $"both permits came free {took.TotalMilliseconds:0} ms after the holder was killed; TTL is {ttl.TotalMilliseconds:0} ms");
        Assert.False(late.IsCompleted, "a newcomer got a permit the kill freed before the waiters ahead of it");
        Assert.True(Math.Min(a.FencingToken, b.FencingToken) > holder.FencingTokens.Max());
        await a.ReleaseAsync();
        await using var c = await late.WaitAsync(NoHang);
        Assert.True(c.FencingToken > Math.Max(a.FencingToken, b.FencingToken));
    }

    [Fact]
    public async Task A_freed_permit_in_the_middle_goes_to_the_first_waiter_and_fences_keep_rising_in_grant_order()
    {
        var name = $"middle/{Guid.NewGuid():N}";
        var owner = Client();
        var holders = new List<ILockHandle>();
        for (var i = 0; i < 3; i++)
            holders.Add(await owner.AcquireAsync(name, 3));
        var d = Client().AcquireAsync(name, 3, wait: NoHang);
        await UntilWaitingAsync(name, 1);
        var e = Client().AcquireAsync(name, 3, wait: NoHang);
        await UntilWaitingAsync(name, 2);

        // The middle holder leaves: the first waiter is let in, above every earlier grant; the second still waits.
        await holders[1].ReleaseAsync();
        await using var dHeld = await d.WaitAsync(NoHang);
        Assert.True(dHeld.FencingToken > holders.Max(h => h.FencingToken));
        await UntilWaitingAsync(name, 1);
        Assert.False(e.IsCompleted, "the second waiter was let in with only one permit free");

        // Then the oldest leaves: the next grant is above the one before it.
        await holders[0].ReleaseAsync();
        await using var eHeld = await e.WaitAsync(NoHang);
        Assert.True(eHeld.FencingToken > dHeld.FencingToken);
        await holders[2].ReleaseAsync();
    }

    [Fact]
    public async Task Keys_sit_apart_from_locks_and_an_idle_name_leaves_no_key_behind()
    {
        var name = $"layout/{Guid.NewGuid():N}";
        var semaphores = Client();
        await using var locks = etcd.NewClient();
        await using var locked = await locks.AcquireAsync(name);
        var permit = await semaphores.TryAcquireAsync(name, 2);
        Assert.NotNull(permit); // the lock of the same name does not take part in the semaphore's line, nor the other way round
        var other = await semaphores.TryAcquireAsync(name, 2);
        Assert.NotNull(other);

        var (line, max) = await ReadAsync(name);
        Assert.Equal(2, max);
        Assert.Equal(2, line.Count);
        var prefix = $"{EtcdServerFixture.Prefix}%sem/{EtcdLockKeys.EncodeName(name)}/";
        Assert.All(line, kv => Assert.StartsWith(prefix, kv.Key.ToStringUtf8(), StringComparison.Ordinal));
        Assert.Equal(new[] { permit.FencingToken, other.FencingToken }, line.Select(kv => kv.CreateRevision));
        Assert.Single(await etcd.QueueAsync(name)); // the lock's own line holds only the lock

        await permit.ReleaseAsync();
        Assert.Equal(2, (await ReadAsync(name)).MaxCount); // still in use: the count stays
        await other.ReleaseAsync();
        (line, max) = await ReadAsync(name);
        Assert.Empty(line);
        Assert.Null(max); // the last one out took the count with it
    }

    [Fact]
    public async Task Every_permit_of_a_name_a_process_holds_or_awaits_shares_its_one_session_lease()
    {
        var name = $"session/{Guid.NewGuid():N}";
        var client = Client();
        var held = new List<ILockHandle>();
        for (var i = 0; i < 4; i++)
            held.Add(await client.AcquireAsync(name, 4, ttl: TimeSpan.FromSeconds(20)));
        var waiting = client.AcquireAsync(name, 4, wait: NoHang, ttl: TimeSpan.FromSeconds(20));
        await UntilWaitingAsync(name, 1);

        var (line, _) = await ReadAsync(name);
        Assert.Equal(5, line.Count);
        Assert.Single(line.Select(kv => kv.Lease).Distinct());
        Assert.Equal(5, line.Select(kv => kv.Key).Distinct().Count());

        await held[2].ReleaseAsync();
        await using var next = await waiting.WaitAsync(NoHang);
        Assert.All(held.Where((_, i) => i != 2), h => Assert.False(h.IsLost));
        foreach (var h in held.Where((_, i) => i != 2))
            await h.ReleaseAsync();
    }

    [Fact]
    public async Task A_count_left_behind_by_expired_leases_does_not_bind_the_idle_name_and_a_count_deleted_in_use_is_put_back()
    {
        var name = $"leftover/{Guid.NewGuid():N}";
        var maxKey = EtcdSemaphoreKeys.MaxCount(EtcdSemaphoreKeys.Line(EtcdServerFixture.Prefix, name));
        var kv = etcd.Raw.GetConnection().KVClient;
        // As left by a holder whose lease expired: a count, no line.
        await kv.PutAsync(new PutRequest { Key = maxKey, Value = ByteString.CopyFromUtf8("7") });
        var client = Client();
        var first = await client.TryAcquireAsync(name, 1);
        Assert.NotNull(first);
        Assert.Equal(1, (await ReadAsync(name)).MaxCount);

        // Deleted by hand while in use: the next acquire with the name's count puts it back and waits its turn.
        await kv.DeleteRangeAsync(new DeleteRangeRequest { Key = maxKey });
        Assert.Null(await Client().TryAcquireAsync(name, 1));
        Assert.Equal(1, (await ReadAsync(name)).MaxCount);
        await Assert.ThrowsAsync<SemaphoreCountMismatchException>(() => Client().TryAcquireAsync(name, 2));
        await first.ReleaseAsync();
    }

    [Fact]
    public async Task A_contended_permit_costs_one_transaction_to_queue_one_to_release_and_no_read_on_its_turn()
    {
        const int maxCount = 3, waiterCount = 24, clientCount = 6;
        var name = $"herd/{Guid.NewGuid():N}";
        var owner = Client();
        var clients = Enumerable.Range(0, clientCount).Select(_ => Client()).ToArray();
        var holders = new List<ILockHandle>();
        for (var i = 0; i < maxCount; i++)
            holders.Add(await owner.AcquireAsync(name, maxCount, ttl: TimeSpan.FromSeconds(60)));

        var acquired = new List<ILockHandle>();
        using var granted = new SemaphoreSlim(0);
        var waiters = Enumerable.Range(0, waiterCount).Select(i => Task.Run(async () =>
        {
            var h = await clients[i % clientCount].AcquireAsync(name, maxCount, wait: TimeSpan.FromSeconds(60), ttl: TimeSpan.FromSeconds(60));
            lock (acquired)
                acquired.Add(h);
            granted.Release();
        })).ToArray();
        await UntilWaitingAsync(name, waiterCount);
        await Task.Delay(300); // let every waiter open its watch

        long Sum(string operation) => clients.Sum(c => c.Metrics.RequestCount(operation));
        var acquireBefore = Sum("acquire");
        var watchBefore = Sum("watch");
        await holders[1].ReleaseAsync();
        Assert.True(await granted.WaitAsync(NoHang));
        await Task.Delay(500); // anyone else woken by that release would have sent a request by now
        lock (acquired)
            Assert.Single(acquired);
        Assert.Equal(0, Sum("acquire") - acquireBefore); // the delete is the grant: no read
        Assert.Equal(0, Sum("watch") - watchBefore);     // and nobody else woke up to watch again

        // Hand the permits down the whole line, always releasing the oldest holder; each release lets exactly one in.
        var live = new List<ILockHandle> { holders[0], holders[2] };
        for (var released = 1; released < waiterCount; released++)
        {
            lock (acquired)
                live.Add(acquired[released - 1]);
            var oldest = live.MinBy(h => h.FencingToken)!;
            live.Remove(oldest);
            await oldest.ReleaseAsync();
            Assert.True(await granted.WaitAsync(NoHang));
        }
        await Task.WhenAll(waiters).WaitAsync(NoHang);
        live.Add(acquired[^1]);
        foreach (var h in live)
            await h.ReleaseAsync();

        var perAcquisition = clients.Sum(c => c.Metrics.RequestCounts().Values.Sum()) / (double)waiterCount;
        output.WriteLine($"requests per contended acquisition, all kinds, incl. its release: {perAcquisition:0.00}; " +
            string.Join(", ", new[] { "acquire", "watch", "watch-cancel", "release", "renew", "keepalive", "session" }.Select(op => $"{op} {Sum(op) / (double)waiterCount:0.00}")));
        Assert.InRange(Sum("acquire") / (double)waiterCount, 1.0, 1.1);
        Assert.InRange(Sum("watch"), clientCount, waiterCount);
        Assert.InRange(Sum("release") / (double)waiterCount, 1.0, 1.1);
        var grants = acquired.Select(h => h.FencingToken).ToList();
        Assert.Equal(grants.Order(), grants); // let in one at a time, in arrival order, with rising fences
    }

    [Fact]
    public async Task An_unreachable_cluster_fails_naming_etcd_and_the_endpoint_and_sends_nothing_more_to_clean_up()
    {
        await using var client = new EtcdSemaphore(new EtcdLockOptions { Endpoints = ["http://127.0.0.1:1"], ConnectTimeout = TimeSpan.FromSeconds(1) });
        var ex = await Assert.ThrowsAsync<LockBackendException>(() => client.TryAcquireAsync($"down/{Guid.NewGuid():N}", 2)).WaitAsync(NoHang);
        Assert.Equal("etcd", ex.Backend);
        Assert.Contains("127.0.0.1:1", ex.Message, StringComparison.Ordinal);
        // Nothing was queued, so giving up the attempt asks etcd nothing (no look-up of a key by token).
        Assert.Equal(0, client.Metrics.RequestCount("release"));
        Assert.Equal(0, client.Metrics.RequestCount("acquire"));
    }

    [Fact]
    public async Task AddEtcdSemaphore_registers_one_etcd_semaphore_by_the_shared_path_and_refuses_bad_options_at_registration()
    {
        var services = new ServiceCollection()
            .AddEtcdSemaphore(o => o.Endpoints = [etcd.Server.ClientUrl])
            .AddEtcdSemaphore(o => o.Endpoints = ["http://127.0.0.1:1"], name: "elsewhere");
        await using (var provider = services.BuildServiceProvider())
        {
            var semaphores = provider.GetRequiredService<ISemaphore>();
            Assert.IsType<EtcdSemaphore>(semaphores);
            Assert.Same(semaphores, provider.GetRequiredService<ISemaphore>());
            Assert.Equal("http://127.0.0.1:1", provider.GetRequiredKeyedService<ISemaphore>("elsewhere").Endpoint);
            Assert.Null(provider.GetService<ILock>());
            await using var permit = await semaphores.AcquireAsync($"di/{Guid.NewGuid():N}", 2, wait: NoHang);
            Assert.Equal("etcd", semaphores.Backend);
        }

        var none = new ServiceCollection();
        var ex = Assert.ThrowsAny<ArgumentException>(() => none.AddEtcdSemaphore(o => o.Endpoints = []));
        Assert.Contains("Endpoints", ex.Message, StringComparison.Ordinal);
        Assert.Empty(none);
        Assert.Throws<ArgumentNullException>(() => none.AddEtcdSemaphore(null!));
    }
}
