using Coord.Locks;

namespace Coord.Stress.Targets;

/// <summary>Request counts of several Coord providers (one per client) added up by operation.</summary>
internal static class RequestCounts
{
    public static IReadOnlyDictionary<string, long> Sum(IEnumerable<LockMetrics> metrics)
    {
        var sum = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var provider in metrics)
            foreach (var (operation, count) in provider.RequestCounts())
                sum[operation] = sum.GetValueOrDefault(operation) + count;
        return sum;
    }
}
