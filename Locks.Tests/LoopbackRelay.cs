using System.Net;
using System.Net.Sockets;

namespace Coord.Locks.Tests;

/// <summary>
/// A TCP relay on a free loopback port in front of one server, for tests that put faults on the wire
/// between a client and a real server. Each accepted connection gets its own upstream connection; what
/// travels between them is up to the subclass. Either side ending ends both, as a relay in the network would.
/// </summary>
public abstract class LoopbackRelay : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly string _host;
    private readonly int _port;
    private readonly CancellationTokenSource _stop = new();
    private readonly List<TcpClient> _sockets = [];
    private readonly Task _accepting;
    private int _connections;

    protected LoopbackRelay(string host, int port)
    {
        _host = host;
        _port = port;
        _listener.Start();
        _accepting = Task.Run(AcceptLoopAsync);
    }

    /// <summary>Where clients connect instead of the server.</summary>
    public string ConnectString => $"127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}";

    /// <summary>Cancelled when the relay is disposed.</summary>
    protected CancellationToken Stopping => _stop.Token;

    /// <summary>Runs before a newly accepted connection is connected upstream.</summary>
    protected virtual Task BeforeConnectAsync() => Task.CompletedTask;

    /// <summary>Carries the <paramref name="number"/>th connection (from 1) until either side should end.</summary>
    protected abstract Task RelayAsync(int number, NetworkStream client, NetworkStream server);

    private async Task AcceptLoopAsync()
    {
        try
        {
            while (true)
            {
                var client = await _listener.AcceptTcpClientAsync(_stop.Token);
                _ = ConnectAndRelayAsync(client, Interlocked.Increment(ref _connections));
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
        {
        }
    }

    private async Task ConnectAndRelayAsync(TcpClient client, int number)
    {
        var server = new TcpClient { NoDelay = true };
        client.NoDelay = true;
        lock (_sockets)
            _sockets.AddRange([client, server]);
        try
        {
            await BeforeConnectAsync();
            await server.ConnectAsync(_host, _port, _stop.Token);
            await RelayAsync(number, client.GetStream(), server.GetStream());
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException or SocketException or ObjectDisposedException)
        {
        }
        finally
        {
            client.Dispose();
            server.Dispose();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        await _accepting;
        lock (_sockets)
        {
            foreach (var socket in _sockets)
                socket.Dispose();
        }
        _stop.Dispose();
        GC.SuppressFinalize(this);
    }
}
