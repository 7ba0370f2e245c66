using Coord.Locks.Etcd;
using Etcdserverpb;
using Google.Protobuf;
using Xunit.Abstractions;

namespace Coord.Locks.Tests.Etcd;

/// <summary>What the etcd backend promises beyond the shared contract: its key layout, queue order, wake-ups without reads and prompt loss.</summary>
public sealed class EtcdLockTests(EtcdServerFixture etcd, ITestOutputHelper output) : IClassFixture<EtcdServerFixture>, IAsyncLifetime
{
    private readonly EtcdTestClients _clients = new(output);

    private EtcdLock Client(string prefix = EtcdServerFixture.Prefix) => _clients.Create([etcd.Server.ClientUrl], prefix);

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _clients.DisposeAsync();

    [Theory]
    [InlineData("orders-42", "orders-42")]
    [InlineData("orders/42", "orders%2F42")]
    [InlineData("a%2Fb", "a%252Fb")]
    [InlineData("a/", "a%2F")]
    [InlineData("zürich/日本", "zürich%2F日本")]
    public void Names_are_escaped_so_that_they_contain_no_slash(string name, string encoded)
    {
        Assert.Equal(encoded, EtcdLockKeys.EncodeName(name));
        var keys = new EtcdLockKeys("coord/lock/", name);
        Assert.Equal("coord/lock/" + encoded, keys.MutexName);
        Assert.Equal("coord/lock/" + encoded + "/", keys.KeyPrefix);
        Assert.Equal("coord/lock/" + encoded + "/1a2b", keys.KeyFor(0x1a2b));
    }

    [Fact]
    public async Task The_holder_key_is_the_etcd_mutex_key_bound_to_its_lease_with_the_holder_token_as_value()
    {
        var name = $"layout/{Guid.NewGuid():N}";
        await using var held = await Client().AcquireAsync(name, ttl: TimeSpan.FromSeconds(1.5));

        var queue = await etcd.QueueAsync(name);
        var key = Assert.Single(queue);
        Assert.Equal(new EtcdLockKeys(EtcdServerFixture.Prefix, name).KeyFor(key.Lease), key.Key.ToStringUtf8());
        Assert.StartsWith("coord/lock/layout%2F", key.Key.ToStringUtf8(), StringComparison.Ordinal);
        Assert.Equal(held.HolderToken, key.Value.ToStringUtf8());
        Assert.Equal(key.CreateRevision, held.FencingToken);

        // 1.5 s is granted as 2 whole seconds: the server keeps the hold a little longer than the client relies on it.
        var lease = await etcd.Raw.GetConnection().LeaseClient.LeaseTimeToLiveAsync(new LeaseTimeToLiveRequest { ID = key.Lease });
        Assert.Equal(2, lease.GrantedTTL);
    }

    [Fact]
    public async Task An_empty_prefix_makes_the_lock_name_the_etcd_mutex_name()
    {
        var name = $"bare-{Guid.NewGuid():N}";
        await using var held = await Client(prefix: "").AcquireAsync(name);
        var key = Assert.Single(await etcd.QueueAsync(name, prefix: ""));
        Assert.Equal($"{name}/{key.Lease:x}", key.Key.ToStringUtf8());
    }

    [Fact]
    public async Task Waiters_that_queued_in_order_A_B_C_acquire_in_that_order()
    {
        var name = $"fifo/{Guid.NewGuid():N}";
        var holder = await Client().AcquireAsync(name, ttl: TimeSpan.FromSeconds(30));
        var order = new List<(string Who, long Fence)>();

        async Task Wait(string who)
        {
            await using var h = await Client().AcquireAsync(name, wait: TimeSpan.FromSeconds(30), ttl: TimeSpan.FromSeconds(30));
            lock (order)
                order.Add((who, h.FencingToken));
            await Task.Delay(50);
        }

        var waiting = new List<Task>();
        foreach (var who in new[] { "A", "B", "C" })
        {
            var queued = (await etcd.QueueAsync(name)).Count;
            waiting.Add(Wait(who));
            // Queue the next one only once this one's key is in etcd: that fixes the arrival order.
            await WaitUntilAsync(async () => (await etcd.QueueAsync(name)).Count == queued + 1);
        }

        await holder.ReleaseAsync();
        await Task.WhenAll(waiting).WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(["A", "B", "C"], order.Select(o => o.Who));
        Assert.True(order[0].Fence > holder.FencingToken && order[1].Fence > order[0].Fence && order[2].Fence > order[1].Fence);
    }

    [Fact]
    public async Task With_32_waiters_one_release_wakes_exactly_one_and_a_hand_off_needs_no_read_after_the_wake_up()
    {
        const int waiterCount = 32, clientCount = 8;
        var name = $"herd/{Guid.NewGuid():N}";
        var clients = Enumerable.Range(0, clientCount).Select(_ => Client()).ToArray();
        var holder = await Client().AcquireAsync(name, ttl: TimeSpan.FromSeconds(60));

        var acquired = new List<ILockHandle>();
        var turns = Enumerable.Range(0, waiterCount).Select(_ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).ToArray();
        var waiters = Enumerable.Range(0, waiterCount).Select(i => Task.Run(async () =>
        {
            var h = await clients[i % clientCount].AcquireAsync(name, wait: TimeSpan.FromSeconds(60), ttl: TimeSpan.FromSeconds(60));
            lock (acquired)
                acquired.Add(h);
            turns[acquired.Count - 1].TrySetResult();
        })).ToArray();
        await WaitUntilAsync(async () => (await etcd.QueueAsync(name)).Count == waiterCount + 1);
        await Task.Delay(300); // let every waiter open its watch

        long Sum(string operation) => clients.Sum(c => c.Metrics.RequestCount(operation));
        var acquireBefore = Sum("acquire");
        var watchBefore = Sum("watch");

        await holder.ReleaseAsync();
        await turns[0].Task.WaitAsync(TimeSpan.FromSeconds(20));
        await Task.Delay(500); // anyone else woken by that release would have sent a request by now

        Assert.Single(acquired);
        Assert.Equal(0, Sum("acquire") - acquireBefore);        // the next waiter saw the last key ahead of it go: that delete is the grant, no read
        Assert.Equal(0, Sum("watch") - watchBefore);            // and nobody else woke up to watch again
        Assert.Equal(waiterCount, (await etcd.QueueAsync(name)).Count);

        // Hand the lock down the whole queue: every hand-off costs the same, whatever the queue length.
        for (var i = 1; i < waiterCount; i++)
        {
            ILockHandle current;
            lock (acquired)
                current = acquired[i - 1];
            await current.ReleaseAsync();
            await turns[i].Task.WaitAsync(TimeSpan.FromSeconds(20));
        }
        await acquired[^1].ReleaseAsync();
        await Task.WhenAll(waiters);

        var perAcquisition = clients.Sum(c => c.Metrics.RequestCounts().Values.Sum()) / (double)waiterCount;
        output.WriteLine($"requests per contended acquisition, all kinds, incl. its release: {perAcquisition:0.00}; " +
            string.Join(", ", new[] { "acquire", "watch", "release", "renew", "keepalive" }.Select(op => $"{op} {Sum(op) / (double)waiterCount:0.00}")));
        // The enqueue transaction only: a waiter sees every key ahead of it go on its lock's queue watch, so it
        // needs no read after the wake-up; a request resent after a slow answer (1 s) on a busy machine may add a few.
        Assert.InRange(Sum("acquire") / (double)waiterCount, 1.0, 1.1);
        // One queue watch per client and lock, shared by its waiters: each client opened one, and opens another
        // only for a waiter whose transaction ran before the one that opened it; none is cancelled while in use.
        Assert.InRange(Sum("watch"), clientCount, waiterCount);
        Assert.InRange(Sum("watch-cancel"), 0, clientCount); // only a client with no waiter left for a second closes its watch
        Assert.InRange(Sum("release") / (double)waiterCount, 1.0, 1.1);
        for (var i = 1; i < acquired.Count; i++)
            Assert.True(acquired[i].FencingToken > acquired[i - 1].FencingToken);
    }

    [Fact]
    public async Task A_waiter_whose_key_is_deleted_from_outside_queues_again_and_never_holds_on_a_key_that_is_gone()
    {
        var name = $"placelost/{Guid.NewGuid():N}";
        var holder = await Client().AcquireAsync(name, ttl: TimeSpan.FromSeconds(30));
        var waiter = Client();
        var waiting = waiter.AcquireAsync(name, wait: TimeSpan.FromSeconds(30), ttl: TimeSpan.FromSeconds(30));
        await WaitUntilAsync(async () => (await etcd.QueueAsync(name)).Count == 2);
        var first = (await etcd.QueueAsync(name))[1];

        // Its key goes while the holder is still ahead of it: with nothing left ahead after the holder's
        // release, a waiter that trusted the watch alone would take the lock on a key that is gone.
        var deleted = await etcd.Raw.GetConnection().KVClient.DeleteRangeAsync(new DeleteRangeRequest { Key = first.Key });
        await WaitUntilAsync(async () => (await etcd.QueueAsync(name)).Count == 2);
        var again = (await etcd.QueueAsync(name))[1];
        Assert.True(again.CreateRevision > deleted.Header.Revision); // it queued again, at the back

        await holder.ReleaseAsync();
        await using var held = await waiting.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(again.CreateRevision, held.FencingToken);
        var now = Assert.Single(await etcd.QueueAsync(name));
        Assert.Equal(held.HolderToken, now.Value.ToStringUtf8());
    }

    [Fact]
    public async Task A_client_that_keeps_queueing_on_one_lock_reuses_its_queue_watch_and_sends_no_read_after_a_wake_up()
    {
        var name = $"reuse/{Guid.NewGuid():N}";
        var clients = Enumerable.Range(0, 4).Select(_ => Client()).ToArray();
        var section = new OverlapDetector();
        const int rounds = 25;
        await Task.WhenAll(clients.Select(c => Task.Run(async () =>
        {
            for (var round = 0; round < rounds; round++)
            {
                await using var h = await c.AcquireAsync(name, wait: TimeSpan.FromSeconds(60), ttl: TimeSpan.FromSeconds(30));
                section.Enter();
                await Task.Delay(2);
                section.Leave();
            }
        })));

        Assert.Equal(0, section.Overlaps);
        long Sum(string operation) => clients.Sum(c => c.Metrics.RequestCount(operation));
        var acquisitions = (double)(clients.Length * rounds);
        output.WriteLine($"per acquisition: acquire {Sum("acquire") / acquisitions:0.00}, release {Sum("release") / acquisitions:0.00}, watch {Sum("watch") / acquisitions:0.00}, watch-cancel {Sum("watch-cancel") / acquisitions:0.00}");
        Assert.InRange(Sum("acquire") / acquisitions, 1.0, 1.05); // the enqueue only
        Assert.InRange(Sum("release") / acquisitions, 1.0, 1.05);
        // A client waits again within a moment of its release, so its lock's watch is still open: a few
        // creates per client over the whole run, not one per wait.
        Assert.InRange(Sum("watch"), 0, clients.Length * 3);
        Assert.InRange(Sum("watch") + Sum("watch-cancel") + Sum("acquire") + Sum("release"), 2 * acquisitions, 2.3 * acquisitions);
        Assert.Empty(await etcd.QueueAsync(name));
    }

    [Fact]
    public async Task Revoking_the_holders_lease_from_outside_fires_Lost_at_once_and_lets_the_next_waiter_in()
    {
        var name = $"revoke/{Guid.NewGuid():N}";
        // A long TTL: renewal (every 10 s) cannot be what notices the loss within the bound below.
        var held = await Client().AcquireAsync(name, ttl: TimeSpan.FromSeconds(30));
        var waiting = Client().AcquireAsync(name, wait: TimeSpan.FromSeconds(30), ttl: TimeSpan.FromSeconds(30));
        await WaitUntilAsync(async () => (await etcd.QueueAsync(name)).Count == 2);

        var lost = new TaskCompletionSource();
        await using var registration = held.Lost.Register(() => lost.TrySetResult());
        await EtcdServerFixture.RevokeHolderAsync(etcd.Raw, name);

        await lost.Task.WaitAsync(TimeSpan.FromSeconds(5));
        await using var next = await waiting.WaitAsync(TimeSpan.FromSeconds(5));
        Assert.True(held.IsLost);
        Assert.True(next.FencingToken > held.FencingToken);
        Assert.False(next.IsLost);
    }

    [Fact]
    public async Task Another_client_renews_and_releases_by_holder_token_and_the_holder_sees_the_release_as_lost()
    {
        var name = $"bytoken/{Guid.NewGuid():N}";
        var owner = Client();
        var other = Client();
        var lease = await owner.TryAcquireLeaseAsync(name, ttl: TimeSpan.FromSeconds(4));
        Assert.NotNull(lease);

        Assert.True(await other.RenewAsync(name, lease.HolderToken, TimeSpan.FromSeconds(4)));
        var tooLong = await Assert.ThrowsAsync<LockException>(() => other.RenewAsync(name, lease.HolderToken, TimeSpan.FromSeconds(60)));
        Assert.Contains("cannot lengthen", tooLong.Message, StringComparison.Ordinal);

        Assert.True(await other.ReleaseAsync(name, lease.HolderToken));
        Assert.False(await other.ReleaseAsync(name, lease.HolderToken));
        Assert.Empty(await etcd.QueueAsync(name));

        await using var held = await owner.AcquireAsync($"{name}-handle", ttl: TimeSpan.FromSeconds(30));
        await using var bystander = await owner.AcquireAsync($"{name}-bystander", ttl: TimeSpan.FromSeconds(30));
        Assert.True(await other.ReleaseAsync($"{name}-handle", held.HolderToken));
        // The owner's session lists its lease's keys at every keep-alive (at most 5 s apart) and finds the key gone.
        await Task.Delay(TimeSpan.FromSeconds(12)).WaitAsync(held.Lost).ContinueWith(_ => { });
        Assert.True(held.IsLost);
        // Only that key went: the session and its other hold live on.
        Assert.False(bystander.IsLost);
        Assert.Single(await etcd.QueueAsync($"{name}-bystander"));
    }

    [Fact]
    public async Task A_timed_out_or_failed_try_leaves_no_key_behind_and_the_session_lease_goes_with_its_provider()
    {
        var name = $"clean/{Guid.NewGuid():N}";
        await using var held = await Client().AcquireAsync(name);
        var leasesBefore = await LeaseCountAsync();

        var other = Client();
        Assert.Null(await other.TryAcquireAsync(name));
        Assert.Null(await other.TryAcquireAsync(name, wait: TimeSpan.FromMilliseconds(300)));

        Assert.Single(await etcd.QueueAsync(name));
        Assert.Equal(leasesBefore + 1, await LeaseCountAsync()); // both tries queued on the other provider's one session
        await other.DisposeAsync();
        Assert.Equal(leasesBefore, await LeaseCountAsync());
    }

    private async Task<int> LeaseCountAsync() => (await etcd.Raw.GetConnection().LeaseClient.LeaseLeasesAsync(new LeaseLeasesRequest())).Leases.Count;

    [Fact]
    public void Options_without_endpoints_or_with_a_bad_one_are_rejected()
    {
        var none = Assert.Throws<ArgumentException>(() => new EtcdLock(new EtcdLockOptions()));
        Assert.Contains("Endpoints", none.Message, StringComparison.Ordinal);
        var bad = Assert.Throws<ArgumentException>(() => new EtcdLock(new EtcdLockOptions { Endpoints = ["127.0.0.1:2379"] }));
        Assert.Contains("http://", bad.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => new EtcdLock(new EtcdLockOptions { Endpoints = [etcd.Server.ClientUrl], Username = "root" }));
    }

    [Fact]
    public async Task An_unreachable_cluster_fails_within_the_connect_timeout_naming_etcd_and_the_endpoint()
    {
        await using var client = new EtcdLock(new EtcdLockOptions { Endpoints = ["http://127.0.0.1:1"], ConnectTimeout = TimeSpan.FromSeconds(1) });
        var ex = await Assert.ThrowsAsync<LockBackendException>(() => client.TryAcquireAsync($"down/{Guid.NewGuid():N}")).WaitAsync(TimeSpan.FromSeconds(20));
        Assert.Equal("etcd", ex.Backend);
        Assert.Contains("127.0.0.1:1", ex.Message, StringComparison.Ordinal);
    }

    internal static async Task WaitUntilAsync(Func<Task<bool>> condition, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(20));
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "condition not reached in time");
            await Task.Delay(20);
        }
    }
}
