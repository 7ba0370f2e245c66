using Coord.Ids.WorkerIds;
using Coord.Service.Hosting;

namespace Coord.Service.Ids;

/// <summary>
/// <c>Coord:Ids:Snowflake:WorkerIdLease</c>: a <c>Type</c> and that store's settings, as a lock backend
/// is configured. Without a <c>Type</c> the store is PostgreSQL (the first one the service supported).
/// </summary>
public static class WorkerIdLeasers
{
    private const string DefaultType = "postgres";

    private static readonly Dictionary<string, Func<IConfigurationSection, ILoggerFactory, TimeProvider, IWorkerIdLeaser>> ByType =
        new(StringComparer.OrdinalIgnoreCase)
        {
            ["postgres"] = (section, loggers, time) => new PostgresWorkerIdLeaser(
                StrictConfiguration.Bind(section, new PostgresWorkerIdOptions(), "Type"), time, loggers.CreateLogger<PostgresWorkerIdLeaser>()),
            ["redis"] = (section, loggers, time) => new RedisWorkerIdLeaser(
                StrictConfiguration.Bind(section, new RedisWorkerIdOptions(), "Type"), time, loggers.CreateLogger<RedisWorkerIdLeaser>()),
            ["etcd"] = (section, loggers, time) => new EtcdWorkerIdLeaser(
                StrictConfiguration.Bind(section, new EtcdWorkerIdOptions(), "Type"), time, loggers.CreateLogger<EtcdWorkerIdLeaser>()),
            ["zookeeper"] = (section, loggers, time) => new ZooKeeperWorkerIdLeaser(
                StrictConfiguration.Bind(section, new ZooKeeperWorkerIdOptions(), "Type"), time, loggers.CreateLogger<ZooKeeperWorkerIdLeaser>()),
        };

    public static IReadOnlyCollection<string> Types => ByType.Keys;

    public static IWorkerIdLeaser Create(IConfigurationSection section, ILoggerFactory loggers, TimeProvider time)
    {
        var type = section["Type"] ?? DefaultType;
        if (!ByType.TryGetValue(type, out var create))
            throw new ArgumentException($"{section.Path}:Type '{type}' is not a worker-id lease store; use one of {string.Join(", ", ByType.Keys.Order(StringComparer.Ordinal))}.");
        try
        {
            return create(section, loggers, time);
        }
        catch (ArgumentException ex) when (!ex.Message.StartsWith(section.Path, StringComparison.Ordinal))
        {
            throw new ArgumentException($"{section.Path}: {ex.Message}", ex);
        }
    }
}
