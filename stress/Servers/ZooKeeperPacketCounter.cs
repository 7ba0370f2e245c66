using System.Globalization;
using System.Net.Sockets;
using System.Text;

namespace Coord.Stress.Servers;

/// <summary>ZooKeeper's <c>mntr</c> four-letter word: <c>zk_packets_received</c> of every member in the connect string.</summary>
public sealed class ZooKeeperPacketCounter(string connectString) : IServerCounter
{
    public string Kind => "zookeeper packets";

    public async Task<long> ReadAsync(CancellationToken cancellationToken)
    {
        long sum = 0;
        foreach (var member in connectString.Split(',', StringSplitOptions.RemoveEmptyEntries))
        {
            var colon = member.LastIndexOf(':');
            try
            {
                using var client = new TcpClient();
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                timeout.CancelAfter(TimeSpan.FromSeconds(5));
                await client.ConnectAsync(member[..colon], int.Parse(member[(colon + 1)..], CultureInfo.InvariantCulture), timeout.Token).ConfigureAwait(false);
                var stream = client.GetStream();
                await stream.WriteAsync("mntr"u8.ToArray(), timeout.Token).ConfigureAwait(false);
                using var reader = new StreamReader(stream, Encoding.ASCII);
                var text = await reader.ReadToEndAsync(timeout.Token).ConfigureAwait(false);
                foreach (var line in text.Split('\n'))
                    if (line.StartsWith("zk_packets_received", StringComparison.Ordinal))
                        sum += long.Parse(line.Split('\t', ' ')[^1].Trim(), CultureInfo.InvariantCulture);
            }
            catch (SocketException)
            {
                // A killed member has nothing to say; the others' counts still show the traffic.
            }
        }
        return sum;
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
