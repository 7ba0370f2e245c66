using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;

namespace Coord.Locks.Tests.ZooKeeper;

/// <summary>
/// A loopback TCP relay in front of a ZooKeeper server that cuts its first connection as the first
/// reply after the handshake comes back, so the client's first request reached the server but its
/// outcome never reached the client. Later connections pass everything through.
/// </summary>
public sealed class ReplyDroppingProxy : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly string _host;
    private readonly int _port;
    private readonly CancellationTokenSource _stop = new();
    private readonly List<TcpClient> _sockets = [];
    private readonly Task _accepting;
    private int _connections;

    public ReplyDroppingProxy(string host, int port)
    {
        _host = host;
        _port = port;
        _listener.Start();
        _accepting = Task.Run(AcceptAsync);
    }

    public string ConnectString => $"127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}";

    /// <summary>Whether a reply has been dropped yet.</summary>
    public bool Dropped { get; private set; }

    private async Task AcceptAsync()
    {
        try
        {
            while (true)
            {
                var client = await _listener.AcceptTcpClientAsync(_stop.Token);
                var server = new TcpClient { NoDelay = true };
                await server.ConnectAsync(_host, _port, _stop.Token);
                lock (_sockets)
                    _sockets.AddRange([client, server]);
                var first = Interlocked.Increment(ref _connections) == 1;
                _ = PumpAsync(client.GetStream(), server.GetStream(), () => { });
                _ = RelayRepliesAsync(server.GetStream(), client.GetStream(), first, () => { client.Dispose(); server.Dispose(); });
            }
        }
        catch (Exception) when (_stop.IsCancellationRequested)
        {
        }
    }

    private async Task PumpAsync(Stream from, Stream to, Action close)
    {
        try
        {
            await from.CopyToAsync(to, _stop.Token);
        }
        catch (Exception)
        {
            close();
        }
    }

    private async Task RelayRepliesAsync(Stream from, Stream to, bool dropFirstReply, Action close)
    {
        try
        {
            var header = new byte[4];
            for (var frame = 0; ; frame++)
            {
                await from.ReadExactlyAsync(header, _stop.Token);
                var body = new byte[BinaryPrimitives.ReadInt32BigEndian(header)];
                await from.ReadExactlyAsync(body, _stop.Token);
                if (dropFirstReply && frame == 1)
                {
                    Dropped = true;
                    close();
                    return;
                }
                await to.WriteAsync(header, _stop.Token);
                await to.WriteAsync(body, _stop.Token);
            }
        }
        catch (Exception)
        {
            close();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        await _accepting;
        lock (_sockets)
            foreach (var socket in _sockets)
                socket.Dispose();
        _stop.Dispose();
    }
}
