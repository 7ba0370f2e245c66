using System.Globalization;
using System.Net.Sockets;
using System.Text;

namespace Coord.Testing;

/// <summary>One ZooKeeper 3.8 server: standalone, or one member of a <see cref="ZooKeeperEnsemble"/>.</summary>
public sealed class ZooKeeperNode : ServerNode
{
    internal const string Jar = "/usr/share/java/zookeeper.jar";

    internal ZooKeeperNode(string name, int myId, int clientPort, int quorumPort, int electionPort, string dataDirectory)
        : base(name, clientPort, dataDirectory)
    {
        MyId = myId;
        QuorumPort = quorumPort;
        ElectionPort = electionPort;
    }

    public int MyId { get; }
    public int QuorumPort { get; }
    public int ElectionPort { get; }

    /// <summary><c>127.0.0.1:port</c>.</summary>
    public string ConnectString => $"{Host}:{Port}";

    /// <summary>The <c>server.N=…</c> lines of the ensemble; empty for a standalone server.</summary>
    internal IReadOnlyList<ZooKeeperNode> Members { get; set; } = [];

    /// <summary>Tick length; the server grants session timeouts from 2 to 20 ticks (its defaults), 1 s to 10 s.</summary>
    public const int TickTimeMs = 500;

    /// <summary>The shortest session these servers grant (ZooKeeper's default minSessionTimeout, 2 × tickTime).</summary>
    public static readonly TimeSpan MinimumSessionTimeout = TimeSpan.FromMilliseconds(2 * TickTimeMs);

    /// <summary>Creates and starts a standalone server.</summary>
    public static async Task<ZooKeeperNode> StartAsync(string name = "zookeeper", CancellationToken cancellationToken = default)
    {
        RequireBinary(Jar, "zookeeper");
        var node = Create(name, 1);
        return await StartOrDisposeAsync(node, cancellationToken).ConfigureAwait(false);
    }

    internal static ZooKeeperNode Create(string name, int myId)
        => new(name, myId, FreePorts.Next(), FreePorts.Next(), FreePorts.Next(), TestDirectories.Create(name));

    private string ConfigPath => Path.Combine(DataDirectory, "zoo.cfg");

    protected override async Task PrepareAsync(CancellationToken cancellationToken)
    {
        var data = Path.Combine(DataDirectory, "data");
        Directory.CreateDirectory(data);
        await File.WriteAllTextAsync(Path.Combine(data, "myid"), MyId.ToString(CultureInfo.InvariantCulture), cancellationToken).ConfigureAwait(false);
        var config = new StringBuilder()
            .AppendLine(CultureInfo.InvariantCulture, $"tickTime={TickTimeMs}")
            .AppendLine("initLimit=20")
            .AppendLine("syncLimit=10")
            .AppendLine(CultureInfo.InvariantCulture, $"dataDir={data}")
            .AppendLine(CultureInfo.InvariantCulture, $"clientPort={Port}")
            .AppendLine(CultureInfo.InvariantCulture, $"clientPortAddress={Host}")
            // ZooKeeper's production defaults for what a lock client feels: at most 60 connections per
            // client address, sessions of 2 to 20 ticks (1 s to 10 s here); only the tick is shorter, for quick tests.
            .AppendLine("maxClientCnxns=60")
            .AppendLine("admin.enableServer=false")
            .AppendLine("4lw.commands.whitelist=*")
            .AppendLine("forceSync=no")
            .AppendLine("autopurge.purgeInterval=0");
        foreach (var member in Members)
            config.AppendLine(CultureInfo.InvariantCulture, $"server.{member.MyId}={member.Host}:{member.QuorumPort}:{member.ElectionPort}");
        await File.WriteAllTextAsync(ConfigPath, config.ToString(), cancellationToken).ConfigureAwait(false);
    }

    protected override (string Program, IReadOnlyList<string> Arguments) Command() => ("/usr/bin/java",
    [
        "-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Xshare:auto",
        // Empty lock parents are containers; check for them every second instead of every minute.
        "-Dznode.container.checkIntervalMs=1000",
        "-Dzookeeper.log.dir=" + DataDirectory,
        "-Dzookeeper.root.logger=INFO,CONSOLE",
        "-cp", "/etc/zookeeper/conf:/usr/share/java/*",
        "org.apache.zookeeper.server.quorum.QuorumPeerMain", ConfigPath,
    ]);

    protected override async Task<bool> IsReadyAsync(CancellationToken cancellationToken)
    {
        // A server answers ruok before it serves requests; srvr tells its mode only once it does.
        var mode = await ModeAsync(cancellationToken).ConfigureAwait(false);
        return Members.Count == 0 ? mode == "standalone" : mode is "leader" or "follower";
    }

    /// <summary>leader, follower or standalone; null while the member serves no quorum.</summary>
    public async Task<string?> ModeAsync(CancellationToken cancellationToken = default)
    {
        var stats = await FourLetterWordAsync("srvr", cancellationToken).ConfigureAwait(false);
        foreach (var line in stats.Split('\n'))
            if (line.StartsWith("Mode: ", StringComparison.Ordinal))
                return line["Mode: ".Length..].Trim();
        return null;
    }

    /// <summary>Sends a four-letter-word command (ruok, srvr, cons, wchc, …) and returns the whole answer.</summary>
    public async Task<string> FourLetterWordAsync(string command, CancellationToken cancellationToken = default)
    {
        using var client = new TcpClient();
        await client.ConnectAsync(Host, Port, cancellationToken).ConfigureAwait(false);
        var stream = client.GetStream();
        await stream.WriteAsync(Encoding.ASCII.GetBytes(command), cancellationToken).ConfigureAwait(false);
        using var reader = new StreamReader(stream, Encoding.ASCII);
        return (await reader.ReadToEndAsync(cancellationToken).ConfigureAwait(false)).Trim();
    }
}
