using System.Diagnostics;
using HdrHistogram;

namespace Coord.Stress.Engine;

/// <summary>Latency histograms in microseconds, up to one hour, three significant digits.</summary>
public static class Histograms
{
    public static LongHistogram Create() => new(TimeSpan.FromHours(1).Ticks / 10, 3);

    public static void RecordTicks(LongHistogram histogram, long stopwatchTicks)
    {
        var micros = Math.Max(0, stopwatchTicks * 1_000_000 / Stopwatch.Frequency);
        histogram.RecordValue(Math.Min(micros, histogram.HighestTrackableValue));
    }
}
