using System.Net;
using System.Net.Sockets;

namespace Coord.Testing;

/// <summary>Loopback ports that nothing listens on, never handed out twice by this process.</summary>
internal static class FreePorts
{
    private static readonly HashSet<int> Given = [];

    public static int Next()
    {
        while (true)
        {
            using var probe = new TcpListener(IPAddress.Loopback, 0);
            probe.Start();
            var port = ((IPEndPoint)probe.LocalEndpoint).Port;
            probe.Stop();
            lock (Given)
            {
                if (Given.Add(port))
                    return port;
            }
        }
    }
}
