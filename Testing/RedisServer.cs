using System.Net.Sockets;
using System.Text;

namespace Coord.Testing;

/// <summary>A throwaway redis-server on a free loopback port, without persistence.</summary>
public sealed class RedisServer : ServerNode
{
    private const string Binary = "/usr/bin/redis-server";

    private RedisServer(string name, int port, string dataDirectory) : base(name, port, dataDirectory)
    {
    }

    /// <summary>StackExchange.Redis configuration string for this server.</summary>
    public string ConnectionString => $"{Host}:{Port},abortConnect=false,connectTimeout=2000,syncTimeout=5000";

    /// <summary><c>host:port</c>.</summary>
    public string Endpoint => $"{Host}:{Port}";

    /// <summary>Creates and starts a server.</summary>
    public static async Task<RedisServer> StartAsync(string name = "redis", CancellationToken cancellationToken = default)
    {
        RequireBinary(Binary, "redis-server");
        var server = new RedisServer(name, FreePorts.Next(), TestDirectories.Create(name));
        return await StartOrDisposeAsync(server, cancellationToken).ConfigureAwait(false);
    }

    protected override (string Program, IReadOnlyList<string> Arguments) Command() => (Binary,
    [
        "--port", Port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--bind", Host,
        "--dir", DataDirectory, "--save", "", "--appendonly", "no", "--daemonize", "no",
        "--protected-mode", "no", "--databases", "4",
        // The process title normally drops the command line; keep the data directory in it so stop-test-servers finds it.
        "--proc-title-template", "{title} {listen-addr} " + DataDirectory,
    ]);

    protected override async Task<bool> IsReadyAsync(CancellationToken cancellationToken)
        => (await SendAsync("PING\r\n", cancellationToken).ConfigureAwait(false)).StartsWith("+PONG", StringComparison.Ordinal);

    /// <summary>Sends one inline command and returns the raw reply; enough for fixtures that need no client library.</summary>
    public async Task<string> SendAsync(string inlineCommand, CancellationToken cancellationToken = default)
    {
        using var client = new TcpClient();
        await client.ConnectAsync(Host, Port, cancellationToken).ConfigureAwait(false);
        var stream = client.GetStream();
        await stream.WriteAsync(Encoding.ASCII.GetBytes(inlineCommand), cancellationToken).ConfigureAwait(false);
        var buffer = new byte[16 * 1024];
        var read = await stream.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
        return Encoding.ASCII.GetString(buffer, 0, read);
    }
}
