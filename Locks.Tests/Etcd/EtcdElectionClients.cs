using Coord.Locks.Etcd;

namespace Coord.Locks.Tests.Etcd;

/// <summary>The etcd election clients one test made, each standing in for a separate process; disposed together when the test ends.</summary>
internal sealed class EtcdElectionClients(EtcdServerFixture etcd) : IAsyncDisposable
{
    private readonly List<EtcdLeaderElection> _clients = [];

    public EtcdLeaderElection Create()
    {
        var client = new EtcdLeaderElection(new EtcdLeaderElectionOptions { Endpoints = [etcd.Server.ClientUrl] });
        lock (_clients)
            _clients.Add(client);
        return client;
    }

    public async ValueTask DisposeAsync()
    {
        EtcdLeaderElection[] clients;
        lock (_clients)
            clients = [.. _clients];
        foreach (var client in clients)
            await client.DisposeAsync();
    }
}
