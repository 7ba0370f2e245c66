using System.Diagnostics.Metrics;

namespace Coord.Locks.Postgres;

/// <summary>
/// The "Coord.Locks.Postgres" meter: wake-ups delivered to waiting acquires, by why (a hand-off, a
/// listener reconnect) and how (a NOTIFY received by this
/// process, or in process). A release should wake one waiter; more means the queue is being raced.
/// </summary>
internal static class PostgresLockMetrics
{
    public const string MeterName = "Coord.Locks.Postgres";

    private static readonly Meter Meter = new(MeterName, "1.0");
    private static readonly Counter<long> WakeUps = Meter.CreateCounter<long>(
        "coord.lock.postgres.wakeups", "{wake-up}", "Wake-ups delivered to waiting acquires, by reason (hand-off, reconnect; none: a hand-off message for a waiter no longer here) and delivery (notify, in-process).");

    public static void WakeUp(string reason, string delivery)
        => WakeUps.Add(1, new KeyValuePair<string, object?>("reason", reason), new KeyValuePair<string, object?>("delivery", delivery));
}
