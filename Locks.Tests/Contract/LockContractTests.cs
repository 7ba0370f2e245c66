using System.Diagnostics;

namespace Coord.Locks.Tests.Contract;

/// <summary>
/// The lock contract, run once per backend: a backend is done when its subclass passes all of it.
/// Each test uses a fresh lock name, and separate clients (providers with their own connections)
/// stand in for separate processes.
/// </summary>
public abstract partial class LockContractTests : IAsyncLifetime
{
    private readonly List<LockProvider> _clients = [];

    /// <summary>A new client with its own connections to the backend.</summary>
    protected abstract Task<LockProvider> CreateClientCoreAsync();

    /// <summary>Removes the current hold of <paramref name="name"/> directly on the backend, behind the holder's back.</summary>
    protected abstract Task TakeAwayAsync(string name);

    /// <summary>Makes <paramref name="handle"/>'s holder stop renewing without releasing, like a crashed process.</summary>
    protected virtual Task AbandonAsync(LockProvider client, ILockHandle handle)
    {
        StoppedRenewals.Of(client, handle);
        return Task.CompletedTask;
    }

    /// <summary>A TTL short enough to watch expiry in a test, long enough for the backend to accept it.</summary>
    protected virtual TimeSpan ShortTtl => TimeSpan.FromSeconds(2);

    /// <summary>Acquire round trips a waiter may spend on one wait, however long it waits.</summary>
    protected virtual int MaxAcquireRequestsPerWait => 4;

    protected virtual bool SupportsFencing => true;

    /// <summary>
    /// Whether a holder token renews from any client. False only where the hold is bound to the
    /// acquiring client's session (ZooKeeper ephemeral nodes); such a backend must throw a
    /// <see cref="LockException"/> for a renewal from elsewhere instead of pretending.
    /// </summary>
    protected virtual bool CanRenewFromAnotherClient => true;

    protected async Task<LockProvider> CreateClientAsync()
    {
        var client = await CreateClientCoreAsync();
        lock (_clients)
            _clients.Add(client);
        return client;
    }

    protected static string NewName(string hint = "lock") => $"contract/{hint}/{Guid.NewGuid():N}";

    /// <summary>Bound for things that must simply not hang; generous because the CI machine is small and shared.</summary>
    protected static readonly TimeSpan NoHang = TimeSpan.FromSeconds(30);

    public virtual Task InitializeAsync() => Task.CompletedTask;

    public virtual async Task DisposeAsync()
    {
        LockProvider[] clients;
        lock (_clients)
            clients = [.. _clients];
        foreach (var client in clients)
            await client.DisposeAsync();
    }

    [Fact]
    public async Task Mutual_exclusion_holds_under_contention_and_fencing_tokens_rise_in_entry_order()
    {
        const int clientCount = 4, workers = 16, rounds = 5;
        var name = NewName("mutex");
        var clients = new LockProvider[clientCount];
        for (var i = 0; i < clientCount; i++)
            clients[i] = await CreateClientAsync();

        var section = new OverlapDetector();
        var entries = new List<long>();
        var entryCount = 0;

        async Task Work(LockProvider client)
        {
            for (var r = 0; r < rounds; r++)
            {
                await using var held = await client.AcquireAsync(name, wait: TimeSpan.FromSeconds(60), ttl: TimeSpan.FromSeconds(10));
                section.Enter();
                lock (entries)
                    entries.Add(SupportsFencing ? held.FencingToken : Interlocked.Increment(ref entryCount));
                // Stay inside long enough that a second holder would be seen.
                await Task.Delay(3);
                section.Leave();
            }
        }

        await Task.WhenAll(Enumerable.Range(0, workers).Select(i => Task.Run(() => Work(clients[i % clientCount]))));

        Assert.Equal(0, section.Overlaps);
        Assert.Equal(workers * rounds, entries.Count);
        for (var i = 1; i < entries.Count; i++)
            Assert.True(entries[i] > entries[i - 1], $"fencing token {entries[i]} at entry {i} is not above {entries[i - 1]}");
    }

    [Fact]
    public async Task TryAcquire_returns_null_while_the_lock_is_held()
    {
        var name = NewName("try");
        var a = await CreateClientAsync();
        var b = await CreateClientAsync();
        await using var held = await a.AcquireAsync(name);

        Assert.Null(await b.TryAcquireAsync(name));
        Assert.Null(await b.TryAcquireAsync(name, wait: TimeSpan.FromMilliseconds(200)));
        Assert.False(held.IsLost);
    }

    [Fact]
    public async Task Acquire_with_a_wait_times_out_with_an_exception_naming_the_lock()
    {
        var name = NewName("timeout");
        var a = await CreateClientAsync();
        var b = await CreateClientAsync();
        await using var held = await a.AcquireAsync(name);

        var ex = await Assert.ThrowsAsync<LockTimeoutException>(() => b.AcquireAsync(name, wait: TimeSpan.FromMilliseconds(300)));
        Assert.Equal(name, ex.LockName);
        Assert.Equal(b.Backend, ex.Backend);
        Assert.Contains(name, ex.Message, StringComparison.Ordinal);
        Assert.Equal(TimeSpan.FromMilliseconds(300), ex.Waited);
    }

    [Fact]
    public async Task Cancellation_stops_a_waiter_promptly_and_leaves_nothing_behind()
    {
        var name = NewName("cancel");
        var a = await CreateClientAsync();
        var b = await CreateClientAsync();
        var c = await CreateClientAsync();
        var held = await a.AcquireAsync(name);

        using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(300));
        var waiting = b.AcquireAsync(name, cancellationToken: cts.Token);
        var finished = await Task.WhenAny(waiting, Task.Delay(NoHang));
        Assert.Same(waiting, finished);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting);

        await held.ReleaseAsync();
        // Had the cancelled waiter stayed queued, a new client could not take the free lock at once.
        await using var next = await c.TryAcquireAsync(name);
        Assert.NotNull(next);
    }

    [Fact]
    public async Task Release_lets_a_waiter_in_and_waiting_is_driven_by_notification()
    {
        var name = NewName("notify");
        var a = await CreateClientAsync();
        var b = await CreateClientAsync();
        var held = await a.AcquireAsync(name, ttl: TimeSpan.FromSeconds(30));

        var before = b.Metrics.RequestCount("acquire");
        var waiting = b.AcquireAsync(name, wait: NoHang, ttl: TimeSpan.FromSeconds(30));
        await Task.Delay(TimeSpan.FromSeconds(2.5));
        Assert.False(waiting.IsCompleted);
        await held.ReleaseAsync();

        await using var next = await waiting;
        var attempts = b.Metrics.RequestCount("acquire") - before;
        Assert.InRange(attempts, 1, MaxAcquireRequestsPerWait);
        if (SupportsFencing)
            Assert.True(next.FencingToken > held.FencingToken);
    }

    [Fact]
    public async Task Renewal_keeps_the_lock_past_several_TTLs()
    {
        var name = NewName("renew");
        var a = await CreateClientAsync();
        var b = await CreateClientAsync();
        var held = await a.AcquireAsync(name, ttl: ShortTtl);

        await Task.Delay(ShortTtl * 3.5);

        Assert.False(held.IsLost);
        Assert.Null(await b.TryAcquireAsync(name));
        Assert.True(held.ValidUntil > DateTimeOffset.UtcNow);
        await held.ReleaseAsync();
        await using var next = await b.TryAcquireAsync(name, wait: TimeSpan.FromSeconds(5));
        Assert.NotNull(next);
    }

    [Fact]
    public async Task An_abandoned_holder_loses_the_lock_after_its_TTL_and_another_client_gets_it()
    {
        var name = NewName("abandon");
        var a = await CreateClientAsync();
        var b = await CreateClientAsync();
        var held = await a.AcquireAsync(name, ttl: ShortTtl);
        await AbandonAsync(a, held);

        Assert.Null(await b.TryAcquireAsync(name));
        var clock = Stopwatch.StartNew();
        await using var next = await b.AcquireAsync(name, wait: ShortTtl * 3 + TimeSpan.FromSeconds(10));
        Assert.NotNull(next);
        Assert.True(clock.Elapsed > ShortTtl / 4, $"the abandoned lock was free again after only {clock.Elapsed}");
    }

    [Fact]
    public async Task Lost_fires_when_the_backend_takes_the_lock_away()
    {
        var name = NewName("lost");
        var a = await CreateClientAsync();
        var b = await CreateClientAsync();
        var held = await a.AcquireAsync(name, ttl: ShortTtl);
        Assert.False(held.IsLost);

        await TakeAwayAsync(name);

        var lost = new TaskCompletionSource();
        await using var registration = held.Lost.Register(() => lost.TrySetResult());
        var finished = await Task.WhenAny(lost.Task, Task.Delay(ShortTtl * 2 + NoHang));
        Assert.Same(lost.Task, finished);
        Assert.True(held.IsLost);

        await using var next = await b.AcquireAsync(name, wait: ShortTtl * 2 + TimeSpan.FromSeconds(10));
        Assert.NotNull(next);
    }

    [Fact]
    public async Task Releasing_or_renewing_with_a_wrong_holder_token_changes_nothing()
    {
        var name = NewName("token");
        var other = NewName("token-other");
        var a = await CreateClientAsync();
        var b = await CreateClientAsync();
        await using var held = await a.AcquireAsync(name, ttl: TimeSpan.FromSeconds(30));
        var wrong = Guid.NewGuid().ToString("N");

        Assert.False(await b.ReleaseAsync(name, wrong));
        // A short renewal, as short as the backend accepts: had it touched the hold, the hold would soon be gone.
        var shortTtl = TimeSpan.FromMilliseconds(50) < b.MinimumTtl ? b.MinimumTtl : TimeSpan.FromMilliseconds(50);
        Assert.False(await b.RenewAsync(name, wrong, shortTtl));
        Assert.False(await b.ReleaseAsync(other, held.HolderToken));
        Assert.False(await b.RenewAsync(other, held.HolderToken));

        await Task.Delay(200);
        Assert.Null(await b.TryAcquireAsync(name));
        Assert.False(held.IsLost);
        Assert.True(await a.RenewAsync(name, held.HolderToken, TimeSpan.FromSeconds(30)));
    }

    [Fact]
    public async Task Disposing_a_handle_twice_is_harmless()
    {
        var name = NewName("dispose");
        var a = await CreateClientAsync();
        var b = await CreateClientAsync();
        var held = await a.AcquireAsync(name);
        await held.DisposeAsync();
        await held.DisposeAsync();

        await using var next = await b.TryAcquireAsync(name);
        Assert.NotNull(next);
        held.Dispose();
        await held.ReleaseAsync();
        // The old handle's later disposals must not touch the new holder.
        Assert.Null(await a.TryAcquireAsync(name));
        Assert.False(next.IsLost);
    }

    [Fact]
    public async Task Synchronous_acquire_works_in_a_using_block()
    {
        var name = NewName("sync");
        var a = await CreateClientAsync();
        var b = await CreateClientAsync();
        await Task.Run(() =>
        {
            using (var held = a.Acquire(name, wait: TimeSpan.FromSeconds(10)))
            {
                Assert.Null(b.TryAcquire(name));
            }
            using var again = b.TryAcquire(name, wait: TimeSpan.FromSeconds(5));
            Assert.NotNull(again);
        });
    }

    [Fact]
    public async Task Distinct_names_never_share_backend_state()
    {
        var stem = Guid.NewGuid().ToString("N")[..8];
        string[] names =
        [
            $"{stem}/a", $"{stem}/a/b", $"{stem}/a:fence", $"{stem}/A", $"{stem}/a:queue", $"{stem}/a}}:fence",
            $"{stem}/a/", $"{stem}/zürich-äöü", $"{stem}/日本語/ロック", $"{stem}/a%2Fb", $"{stem}/a b",
            ($"{stem}/" + new string('n', 256)).Substring(0, 256),
        ];
        var a = await CreateClientAsync();
        var b = await CreateClientAsync();

        var held = new List<ILockHandle>();
        foreach (var name in names)
        {
            var handle = await a.TryAcquireAsync(name);
            Assert.True(handle is not null, $"'{name}' could not be acquired while only different names were held");
            held.Add(handle);
        }
        foreach (var name in names)
            Assert.True(await b.TryAcquireAsync(name) is null, $"'{name}' was acquired twice");
        if (SupportsFencing)
            Assert.Equal(names.Length, held.Select(h => h.Name).Distinct(StringComparer.Ordinal).Count());

        foreach (var handle in held)
            await handle.ReleaseAsync();
        foreach (var name in names)
        {
            await using var again = await b.TryAcquireAsync(name, wait: TimeSpan.FromSeconds(5));
            Assert.True(again is not null, $"'{name}' stayed held after release");
        }
    }

    [Fact]
    public async Task Bad_names_and_options_are_rejected_with_ArgumentException()
    {
        var a = await CreateClientAsync();
        var ok = NewName("args");

        await Assert.ThrowsAnyAsync<ArgumentException>(() => a.AcquireAsync(null!));
        var empty = await Assert.ThrowsAnyAsync<ArgumentException>(() => a.AcquireAsync(""));
        Assert.Contains("1 to 256", empty.Message, StringComparison.Ordinal);
        var tooLong = await Assert.ThrowsAnyAsync<ArgumentException>(() => a.TryAcquireAsync(new string('x', 257)));
        Assert.Contains("257", tooLong.Message, StringComparison.Ordinal);
        await Assert.ThrowsAnyAsync<ArgumentException>(() => a.TryAcquireAsync("bad\u0001name"));
        await Assert.ThrowsAnyAsync<ArgumentException>(() => a.TryAcquireAsync(ok, ttl: TimeSpan.Zero));
        await Assert.ThrowsAnyAsync<ArgumentException>(() => a.TryAcquireAsync(ok, ttl: TimeSpan.FromSeconds(-1)));
        var tooLongTtl = await Assert.ThrowsAnyAsync<ArgumentException>(() => a.TryAcquireAsync(ok, ttl: TimeSpan.FromDays(2)));
        Assert.Contains("at most 1 day", tooLongTtl.Message, StringComparison.Ordinal);
        await Assert.ThrowsAnyAsync<ArgumentException>(() => a.TryAcquireAsync(ok, wait: TimeSpan.FromSeconds(-1)));
        await Assert.ThrowsAnyAsync<ArgumentException>(() => a.ReleaseAsync(ok, ""));
        await Assert.ThrowsAnyAsync<ArgumentException>(() => a.RenewAsync(ok, "token", TimeSpan.Zero));

        // Nothing was taken by the rejected calls.
        await using var held = await a.TryAcquireAsync(ok);
        Assert.NotNull(held);
    }

    [Fact]
    public async Task Fencing_tokens_are_supported_exactly_when_the_backend_says_so()
    {
        var a = await CreateClientAsync();
        Assert.Equal(SupportsFencing, a.SupportsFencing);
        await using var held = await a.AcquireAsync(NewName("fence"));
        Assert.Equal(SupportsFencing, held.HasFencingToken);
        if (!SupportsFencing)
            Assert.Throws<NotSupportedException>(() => held.FencingToken);
        else
            Assert.True(held.FencingToken > 0);
    }
}
