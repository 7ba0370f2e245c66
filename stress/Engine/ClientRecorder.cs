using HdrHistogram;

namespace Coord.Stress.Engine;

/// <summary>What one client measured; written only by that client's loop, so it needs no locking.</summary>
public sealed class ClientRecorder(int client, bool collectIntervals)
{
    public int Client { get; } = client;
    public long Acquisitions;
    public LongHistogram Wait { get; } = Histograms.Create();
    public LongHistogram Release { get; } = Histograms.Create();
    public LongHistogram Handoff { get; } = Histograms.Create();
    public Dictionary<string, long> Errors { get; } = new(StringComparer.Ordinal);
    public List<HoldInterval>? Intervals { get; } = collectIntervals ? [] : null;

    /// <summary>Bounded so a fast in-memory run cannot exhaust memory; the live monitor still checks every hold.</summary>
    public const int MaxIntervals = 2_000_000;

    public void Error(string kind) => Errors[kind] = Errors.GetValueOrDefault(kind) + 1;
}
