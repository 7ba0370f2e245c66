using System.Diagnostics;
using Coord.Locks.ZooKeeper;
using Coord.Locks.ZooKeeper.Client;
using Coord.Testing;
using Xunit.Abstractions;

namespace Coord.Locks.Tests.ZooKeeper;

/// <summary>Faults on a 3-member ensemble: a member dies under a session, the leader dies under contention, a holder stalls.</summary>
public sealed class ZooKeeperEnsembleTests(ZooKeeperEnsembleFixture fixture, ITestOutputHelper output) : IClassFixture<ZooKeeperEnsembleFixture>, IAsyncLifetime
{
    private readonly List<IAsyncDisposable> _owned = [];

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var owned in _owned)
            await owned.DisposeAsync();
        await fixture.RestartStoppedMembersAsync();
    }

    private async Task<ZooKeeperClient> ConnectAsync(string connectString, TimeSpan sessionTimeout)
    {
        var client = await ZooKeeperClient.ConnectAsync(new ZooKeeperClientOptions { ConnectString = connectString, SessionTimeout = sessionTimeout, ConnectTimeout = TimeSpan.FromSeconds(20) });
        _owned.Add(client);
        return client;
    }

    private ZooKeeperLock NewLock(string? connectString = null, TimeSpan? connectTimeout = null)
    {
        var client = new ZooKeeperLock(new ZooKeeperLockOptions
        {
            ConnectString = connectString ?? fixture.Ensemble.ConnectString,
            Root = "/coord/ensemble",
            MinimumSessionTimeout = ZooKeeperNode.MinimumSessionTimeout,
            ConnectTimeout = connectTimeout ?? TimeSpan.FromSeconds(10),
        });
        _owned.Add(client);
        return client;
    }

    [Fact]
    public async Task Losing_its_member_moves_the_session_to_another_one_with_its_ephemeral_nodes_and_watches()
    {
        var client = await ConnectAsync(fixture.Ensemble.ConnectString, TimeSpan.FromSeconds(15));
        var path = $"/moved-{Guid.NewGuid():N}";
        await client.CreateAsync(path, mode: ZooKeeperCreateMode.Ephemeral);
        var watched = new TaskCompletionSource<ZooKeeperWatchedEvent>();
        Assert.Null(await client.ExistsAsync(path + "-later", e => watched.TrySetResult(e)));
        var states = new List<ZooKeeperState>();
        var reconnected = new TaskCompletionSource();
        client.StateChanged += s =>
        {
            lock (states)
                states.Add(s);
            if (s == ZooKeeperState.SyncConnected)
                reconnected.TrySetResult();
        };
        var sessionId = client.SessionId;
        var first = client.ConnectedServer;
        var member = fixture.Ensemble.Nodes.Single(n => n.ConnectString == first);

        member.Kill();

        await reconnected.Task.WaitAsync(TimeSpan.FromSeconds(40));
        Assert.Equal(new[] { ZooKeeperState.Disconnected, ZooKeeperState.SyncConnected }, states.Distinct());
        Assert.NotEqual(first, client.ConnectedServer);
        Assert.Equal(sessionId, client.SessionId);
        var stat = await client.ExistsAsync(path);
        Assert.NotNull(stat);
        Assert.Equal(sessionId, stat.EphemeralOwner);

        // The watch set before the move was re-registered on the new member.
        var survivor = fixture.Ensemble.Nodes.First(n => n.IsRunning && n.ConnectString != client.ConnectedServer);
        var other = await ConnectAsync(survivor.ConnectString, TimeSpan.FromSeconds(15));
        await other.CreateAsync(path + "-later");
        Assert.Equal(new ZooKeeperWatchedEvent(ZooKeeperEventType.NodeCreated, ZooKeeperState.SyncConnected, path + "-later"), await watched.Task.WaitAsync(TimeSpan.FromSeconds(20)));
    }

    [Fact]
    public async Task Killing_the_leader_under_contention_never_lets_two_hold_and_acquisitions_resume()
    {
        var name = $"leader-kill/{Guid.NewGuid():N}";
        var clients = Enumerable.Range(0, 4).Select(_ => NewLock()).ToArray();
        var section = new OverlapDetector();
        long before = 0, after = 0;
        var killed = false;
        var errors = 0;
        var fences = new List<long>();
        using var stop = new CancellationTokenSource();

        async Task Work(LockProvider client)
        {
            while (!stop.IsCancellationRequested)
            {
                try
                {
                    await using var held = await client.AcquireAsync(name, wait: TimeSpan.FromSeconds(30), ttl: TimeSpan.FromSeconds(8), cancellationToken: stop.Token);
                    section.Enter();
                    lock (fences)
                        fences.Add(held.FencingToken);
                    await Task.Delay(5);
                    section.Leave();
                    if (Volatile.Read(ref killed))
                        Interlocked.Increment(ref after);
                    else
                        Interlocked.Increment(ref before);
                }
                catch (OperationCanceledException) when (stop.IsCancellationRequested)
                {
                    return;
                }
                catch (LockException)
                {
                    // The ensemble is electing a leader: try again.
                    Interlocked.Increment(ref errors);
                    await Task.Delay(50);
                }
            }
        }

        var workers = Enumerable.Range(0, 8).Select(i => Task.Run(() => Work(clients[i % clients.Length]))).ToArray();
        for (var tries = 0; Interlocked.Read(ref before) < 20 && tries < 200; tries++)
            await Task.Delay(100);
        var leader = await fixture.Ensemble.FindLeaderAsync();
        leader.Kill();
        Volatile.Write(ref killed, true);
        for (var tries = 0; Interlocked.Read(ref after) < 20 && tries < 600; tries++)
            await Task.Delay(100);
        await stop.CancelAsync();
        await Task.WhenAll(workers);

        output.WriteLine($"before kill {before}, after {after}, errors {errors}");
        Assert.Equal(0, section.Overlaps);
        Assert.True(before >= 20, $"only {before} acquisitions before the kill");
        Assert.True(after >= 20, $"only {after} acquisitions after killing the leader ({errors} errors)");
        lock (fences)
            Assert.Equal(fences.Count, fences.Distinct().Count());
    }

    [Fact]
    public async Task A_client_cut_off_from_its_member_past_the_session_timeout_is_told_Lost_on_every_hold_before_anyone_else_acquires()
    {
        var stem = $"cut-off/{Guid.NewGuid():N}";
        var names = Enumerable.Range(0, 3).Select(i => $"{stem}/{i}").ToArray();
        var leader = await fixture.Ensemble.FindLeaderAsync();
        var follower = fixture.Ensemble.Nodes.First(n => n != leader);
        // A talks only to one follower; B to the rest of the ensemble, which keeps its quorum.
        var a = NewLock(follower.ConnectString);
        var b = NewLock(string.Join(',', fixture.Ensemble.Nodes.Where(n => n != follower).Select(n => n.ConnectString)));
        var ttl = TimeSpan.FromSeconds(2);
        var held = new List<ILockHandle>();
        foreach (var name in names)
            held.Add(await a.AcquireAsync(name, ttl: ttl));
        // SIGSTOP A's member: A hears nothing and cannot move; the leader expires A's session after its timeout.
        await CutOffHolder.AssertLostBeforeAnyoneElseIsGrantedAsync(names, held, b, () => Task.Delay(300), follower, TimeSpan.FromSeconds(40), output);
    }
}
