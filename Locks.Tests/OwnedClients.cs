namespace Coord.Locks.Tests;

/// <summary>Providers a test class made, disposed together when the test ends.</summary>
internal sealed class OwnedClients<T> : IAsyncDisposable where T : IAsyncDisposable
{
    private readonly List<T> _clients = [];

    public T Add(T client)
    {
        lock (_clients)
            _clients.Add(client);
        return client;
    }

    public async ValueTask DisposeAsync()
    {
        T[] clients;
        lock (_clients)
            clients = [.. _clients];
        foreach (var client in clients)
            await client.DisposeAsync();
    }
}
