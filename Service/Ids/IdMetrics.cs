using System.Diagnostics.Metrics;

namespace Coord.Service.Ids;

/// <summary>The "Coord.Service" meter: ids this service handed out, by generator.</summary>
public static class IdMetrics
{
    public const string MeterName = "Coord.Service";

    private static readonly Meter Meter = new(MeterName, "1.0");
    private static readonly Counter<long> Issued = Meter.CreateCounter<long>("coord.service.ids.issued", "{id}", "Ids handed out over HTTP, by generator.");

    public static void Count(string generator, int count) => Issued.Add(count, new KeyValuePair<string, object?>("generator", generator));
}
