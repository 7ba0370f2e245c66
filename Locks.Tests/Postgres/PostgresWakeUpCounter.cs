using System.Collections.Concurrent;
using System.Diagnostics.Metrics;

namespace Coord.Locks.Tests.Postgres;

/// <summary>Collects the PostgreSQL lock's wake-up measurements ("reason/delivery") from the moment it is created until disposed.</summary>
public sealed class PostgresWakeUpCounter : IDisposable
{
    private readonly MeterListener _listener = new();
    private readonly ConcurrentQueue<string> _wakeUps = new();

    public PostgresWakeUpCounter()
    {
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == "Coord.Locks.Postgres" && instrument.Name == "coord.lock.postgres.wakeups")
                listener.EnableMeasurementEvents(instrument);
        };
        _listener.SetMeasurementEventCallback<long>((_, value, tags, _) =>
        {
            string? reason = null, delivery = null;
            foreach (var tag in tags)
            {
                if (tag.Key == "reason")
                    reason = tag.Value as string;
                else if (tag.Key == "delivery")
                    delivery = tag.Value as string;
            }
            for (var i = 0; i < value; i++)
                _wakeUps.Enqueue($"{reason}/{delivery}");
        });
        _listener.Start();
    }

    public IReadOnlyList<string> WakeUps => [.. _wakeUps];

    public void Dispose() => _listener.Dispose();
}
