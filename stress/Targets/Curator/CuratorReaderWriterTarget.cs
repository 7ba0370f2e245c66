using Coord.Stress.Servers;
using Coord.Stress.Targets.ReaderWriter;

namespace Coord.Stress.Targets.Curator;

/// <summary>
/// Peer: Apache Curator's <c>InterProcessReadWriteLock</c> (<c>curator-rw</c>) on the run's ZooKeeper, each client its
/// own CuratorFramework and session (timeout = the scenario's TTL), through the same Java driver as <c>curator</c>.
/// </summary>
public sealed class CuratorReaderWriterTarget : CuratorDriverTarget<IReaderWriterClient>
{
    private CuratorReaderWriterTarget(CuratorDriverProcess driver, string root)
        : base(driver, root, "curator-rw", "Apache Curator InterProcessReadWriteLock")
    {
    }

    public static async Task<CuratorReaderWriterTarget> StartAsync(StressZooKeeper zooKeeper, string keyPrefix, CancellationToken cancellationToken)
        => new(await CuratorDriverProcess.StartAsync(zooKeeper.ConnectString, cancellationToken).ConfigureAwait(false), StressZooKeeper.Root(keyPrefix, "-curator-rw"));

    public override Task<IReaderWriterClient> CreateClientAsync(CancellationToken cancellationToken)
        => Task.FromResult<IReaderWriterClient>(new Client(this, NextClient()));

    private sealed class Client(CuratorReaderWriterTarget target, int id) : IReaderWriterClient
    {
        public async Task<IHeldLock?> AcquireAsync(string name, bool write, TimeSpan wait, TimeSpan ttl, CancellationToken cancellationToken)
        {
            var request = target.Driver.NextRequest();
            var kind = write ? 'W' : 'Q';
            var path = target.PathOf(name);
            var reply = await CuratorRelease.AcquireAsync(target.Driver, kind, request, id, wait, ttl, path, cancellationToken).ConfigureAwait(false);
            return reply switch
            {
                _ when reply == $"{kind} {request} 1" => new CuratorRelease(target.Driver, request),
                _ when reply == $"{kind} {request} 0" => null,
                _ => throw new InvalidOperationException($"Curator {(write ? "write" : "read")} lock of {path} failed: {reply}"),
            };
        }

        public ValueTask DisposeAsync() => CuratorRelease.CloseClientAsync(target.Driver, id);
    }
}
