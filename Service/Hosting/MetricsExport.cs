using Coord.Locks;
using Prometheus;

namespace Coord.Service.Hosting;

/// <summary>
/// What /metrics exports: prometheus-net's process metrics plus <see cref="MeterBridge"/>, which republishes
/// System.Diagnostics.Metrics instruments, limited to Coord's meters and ASP.NET Core's request meters
/// so that the page stays small. Started at build time so nothing counted before the first scrape is lost.
/// </summary>
public static class MetricsExport
{
    private static int _started;

    /// <summary>Once per process: prometheus-net's default registry is process-wide.</summary>
    public static void Start()
    {
        if (Interlocked.Exchange(ref _started, 1) != 0)
            return;
        Metrics.SuppressDefaultMetrics(new SuppressDefaultMetricOptions { SuppressMeters = true, SuppressEventCounters = true });
        _bridge = new MeterBridge(instrument =>
            instrument.Meter.Name.StartsWith("Coord.", StringComparison.Ordinal)
            || instrument.Meter.Name is "Microsoft.AspNetCore.Hosting" or "Microsoft.AspNetCore.Server.Kestrel");
    }

    // Listens for the life of the process, like the registry it feeds.
    private static MeterBridge? _bridge;

    /// <summary>The Coord meters this service exports.</summary>
    public static IReadOnlyList<string> CoordMeters { get; } = [LockMetrics.MeterName, Ids.IdMetrics.MeterName];
}
