using Microsoft.Extensions.Logging;

namespace Coord.Locks.ZooKeeper.Client;

/// <summary>Settings of one <see cref="ZooKeeperClient"/> session.</summary>
internal sealed class ZooKeeperClientOptions
{
    /// <summary>Ensemble members, <c>host:port,host:port</c> (port 2181 when left out). Chroot suffixes are not supported.</summary>
    public required string ConnectString { get; init; }

    /// <summary>Requested session timeout; the server may negotiate it into its own bounds (see <see cref="ZooKeeperClient.SessionTimeout"/>). Default 10 s.</summary>
    public TimeSpan SessionTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Longest wait for one reply (including any wait for a reconnect). Default: the session timeout.</summary>
    public TimeSpan? RequestTimeout { get; init; }

    /// <summary>Longest wait for the first connection. Default: the session timeout.</summary>
    public TimeSpan? ConnectTimeout { get; init; }

    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;

    public ILogger? Logger { get; init; }


    internal IReadOnlyList<(string Host, int Port)> ParseServers()
    {
        if (string.IsNullOrWhiteSpace(ConnectString) || ConnectString.Contains('/', StringComparison.Ordinal))
            throw new ArgumentException($"{nameof(ConnectString)} must be 'host:port' entries separated by commas (no chroot); it was '{ConnectString}'.", nameof(ConnectString));
        if (SessionTimeout < TimeSpan.FromMilliseconds(100) || SessionTimeout > TimeSpan.FromDays(1))
            throw new ArgumentException($"{nameof(SessionTimeout)} must be between 100 ms and 1 day; it was {SessionTimeout}.", nameof(SessionTimeout));
        var servers = new List<(string, int)>();
        foreach (var entry in ConnectString.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var colon = entry.LastIndexOf(':');
            if (colon < 0)
                servers.Add((entry, 2181));
            else if (int.TryParse(entry.AsSpan(colon + 1), out var port) && port is > 0 and < 65536 && colon > 0)
                servers.Add((entry[..colon], port));
            else
                throw new ArgumentException($"'{entry}' in {nameof(ConnectString)} is not host:port with a port from 1 to 65535.", nameof(ConnectString));
        }
        return servers;
    }
}
