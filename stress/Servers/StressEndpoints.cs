namespace Coord.Stress.Servers;

/// <summary>
/// Servers given on the command line. Whatever is left null the runner starts itself, throwaway,
/// on loopback through Coord.Testing.
/// </summary>
public sealed record StressEndpoints
{
    /// <summary>StackExchange.Redis configuration of one Redis server, e.g. <c>127.0.0.1:6379</c>.</summary>
    public string? Redis { get; init; }

    /// <summary>Independent Redis masters for RedLock, one configuration each.</summary>
    public IReadOnlyList<string>? RedisMasters { get; init; }

    /// <summary>Npgsql connection string of a database the runner may create tables in.</summary>
    public string? Postgres { get; init; }

    /// <summary>etcd client URLs, e.g. <c>http://127.0.0.1:2379</c>.</summary>
    public IReadOnlyList<string>? Etcd { get; init; }

    /// <summary>ZooKeeper connect string, e.g. <c>127.0.0.1:2181</c>.</summary>
    public string? ZooKeeper { get; init; }
}
