using System.Globalization;
using Coord.Stress.Servers;

namespace Coord.Stress.Targets.Curator;

/// <summary>
/// Peer: Apache Curator's <c>InterProcessMutex</c> (<c>curator</c>), or with permits its
/// <c>InterProcessSemaphoreV2</c> (<c>curator-sem</c>), from Debian's libcurator-recipes-java 5.4 on the run's
/// ZooKeeper, each client its own CuratorFramework and session (timeout = the scenario's TTL), driven
/// through a small Java program (<see cref="CuratorDriverProcess"/>). Every acquire and release costs
/// one line each way over the driver's stdin/stdout on top of Curator's own work.
/// </summary>
public sealed class CuratorTarget : LockTarget
{
    private readonly CuratorDriverProcess _driver;
    private readonly string _root;
    private readonly int? _permits;
    private int _nextClient;

    private CuratorTarget(CuratorDriverProcess driver, string root, int? permits, IReadOnlyList<IServerCounter> serverCounters)
        : base(permits is null ? "curator" : "curator-sem", permits is null ? "Apache Curator InterProcessMutex" : "Apache Curator InterProcessSemaphoreV2", isPeer: true, serverCounters)
    {
        _driver = driver;
        _root = root;
        _permits = permits;
    }

    /// <summary>Starts the driver on <paramref name="zooKeeper"/>, under a root named after the target (<c>…-curator</c>, <c>…-curator-sem</c>).</summary>
    /// <param name="permits">Null drives the mutex; a count drives the semaphore with that many leases per name.</param>
    public static async Task<CuratorTarget> StartAsync(StressZooKeeper zooKeeper, string keyPrefix, int? permits, CancellationToken cancellationToken)
    {
        var root = StressZooKeeper.Root(keyPrefix, permits is null ? "-curator" : "-curator-sem");
        return new(await CuratorDriverProcess.StartAsync(zooKeeper.ConnectString, cancellationToken).ConfigureAwait(false), root, permits, zooKeeper.Counters());
    }

    public override bool SupportsFencing => false;

    public override Task<ILockClient> CreateClientAsync(CancellationToken cancellationToken)
        => Task.FromResult<ILockClient>(new Client(this, Interlocked.Increment(ref _nextClient)));

    protected override ValueTask DisposeCoreAsync() => _driver.DisposeAsync();

    private sealed class Client(CuratorTarget target, int id) : ILockClient
    {
        public async Task<IHeldLock?> AcquireAsync(string name, TimeSpan wait, TimeSpan ttl, CancellationToken cancellationToken)
        {
            var request = target._driver.NextRequest();
            var path = $"{target._root}/{name.Replace('/', '_')}";
            var line = target._permits is { } permits
                ? string.Create(CultureInfo.InvariantCulture, $"S {request} {id} {(int)ttl.TotalMilliseconds} {(long)wait.TotalMilliseconds} {permits} {path}")
                : string.Create(CultureInfo.InvariantCulture, $"A {request} {id} {(int)ttl.TotalMilliseconds} {(long)wait.TotalMilliseconds} {path}");
            var reply = await target._driver.CallAsync(line, $"A {request}", CancellationToken.None).WaitAsync(cancellationToken).ConfigureAwait(false);
            return reply switch
            {
                _ when reply == $"A {request} 1" => new CuratorRelease(target._driver, request),
                _ when reply == $"A {request} 0" => null,
                _ => throw new InvalidOperationException($"Curator acquire of {path} failed: {reply}"),
            };
        }

        public ValueTask DisposeAsync() => CuratorRelease.CloseClientAsync(target._driver, id);
    }
}
