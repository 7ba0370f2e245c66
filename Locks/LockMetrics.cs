using System.Collections.Concurrent;
using System.Diagnostics.Metrics;

namespace Coord.Locks;

/// <summary>
/// The "Coord.Locks" meter: what operators watch (requests per backend and operation, acquisitions,
/// losses, wait time), plus a per-provider copy of the request counts so one provider's traffic
/// can be read without the noise of others in the same process.
/// </summary>
public sealed class LockMetrics
{
    /// <summary>Name of the <see cref="System.Diagnostics.Metrics.Meter"/> to subscribe to (OpenTelemetry <c>AddMeter</c>).</summary>
    public const string MeterName = "Coord.Locks";

    private static readonly Meter Meter = new(MeterName, "1.0");
    private static readonly Counter<long> BackendRequests = Meter.CreateCounter<long>("coord.lock.backend.requests", "{request}", "Requests sent to a lock backend, by backend and operation.");
    private static readonly Counter<long> Acquisitions = Meter.CreateCounter<long>("coord.lock.acquisitions", "{acquisition}", "Acquire calls by outcome: acquired, timeout, cancelled, error.");
    private static readonly Counter<long> Losses = Meter.CreateCounter<long>("coord.lock.lost", "{hold}", "Holds lost before release, by reason.");
    private static readonly Histogram<double> WaitDuration = Meter.CreateHistogram<double>("coord.lock.wait.duration", "s", "Time from asking for a lock to holding it.");
    private static readonly UpDownCounter<long> Held = Meter.CreateUpDownCounter<long>("coord.lock.held", "{hold}", "Holds currently live in this process.");

    private readonly string _backend;
    private readonly KeyValuePair<string, object?> _backendTag;
    private readonly ConcurrentDictionary<string, long> _requests = new(StringComparer.Ordinal);

    /// <summary>Metrics of one provider; the backend name becomes the <c>backend</c> tag on every measurement.</summary>
    /// <param name="backend">Short backend name, as <see cref="ILock.Backend"/>.</param>
    public LockMetrics(string backend)
    {
        _backend = backend;
        _backendTag = new("backend", backend);
    }

    /// <summary>The backend tag of these metrics.</summary>
    public string Backend => _backend;

    /// <summary>Counts one request (a round trip or pipelined command group) sent to the backend.</summary>
    public void Request(string operation, long count = 1)
    {
        _requests.AddOrUpdate(operation, static (_, added) => added, static (_, n, added) => n + added, count);
        BackendRequests.Add(count, _backendTag, new("operation", operation));
    }

    /// <summary>Requests this provider sent so far, by operation.</summary>
    public IReadOnlyDictionary<string, long> RequestCounts() => new Dictionary<string, long>(_requests, StringComparer.Ordinal);

    /// <summary>Total requests this provider sent for <paramref name="operation"/>.</summary>
    public long RequestCount(string operation) => _requests.TryGetValue(operation, out var n) ? n : 0;

    internal void Acquired(TimeSpan waited)
    {
        Acquisitions.Add(1, _backendTag, new("outcome", "acquired"));
        WaitDuration.Record(waited.TotalSeconds, _backendTag);
        Held.Add(1, _backendTag);
    }

    internal void NotAcquired(string outcome) => Acquisitions.Add(1, _backendTag, new("outcome", outcome));

    internal void Ended(bool lost, string? reason)
    {
        Held.Add(-1, _backendTag);
        if (lost)
            Losses.Add(1, _backendTag, new("reason", reason ?? "unknown"));
    }
}
