using System.Buffers.Binary;
using System.Net.Sockets;

namespace Coord.Locks.Tests.ZooKeeper;

/// <summary>
/// A relay in front of a ZooKeeper server that cuts its first connection as the first reply after the
/// handshake comes back, so the client's first request reached the server but its outcome never reached
/// the client. Later connections pass everything through.
/// </summary>
public sealed class ReplyDroppingProxy(string host, int port) : LoopbackRelay(host, port)
{
    /// <summary>Whether a reply has been dropped yet.</summary>
    public bool Dropped { get; private set; }

    protected override Task RelayAsync(int number, NetworkStream client, NetworkStream server)
        => Task.WhenAny(client.CopyToAsync(server, Stopping), RelayRepliesAsync(server, client, dropFirstReply: number == 1));

    private async Task RelayRepliesAsync(NetworkStream from, NetworkStream to, bool dropFirstReply)
    {
        var header = new byte[4];
        for (var frame = 0; ; frame++)
        {
            await from.ReadExactlyAsync(header, Stopping);
            var body = new byte[BinaryPrimitives.ReadInt32BigEndian(header)];
            await from.ReadExactlyAsync(body, Stopping);
            if (dropFirstReply && frame == 1)
            {
                Dropped = true;
                return;
            }
            await to.WriteAsync(header, Stopping);
            await to.WriteAsync(body, Stopping);
        }
    }
}
