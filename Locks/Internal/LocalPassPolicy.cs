namespace Coord.Locks.Internal;

/// <summary>
/// The one bounded departure from first-come-first-served that queued backends make: a release may hand
/// the lock to a waiter of its own process ahead of an older waiter of another process, at most
/// <see cref="MaxPassesInARow"/> times in a row. A hand-off inside a process needs no message (no
/// PUBLISH, no NOTIFY) and wakes no other process, which is most of a hand-off's cost when every turn
/// would otherwise cross processes; the older waiter still waits at most that many extra turns, so
/// nobody starves and the longest wait stays a small multiple of one turn.
/// </summary>
/// <remarks>
/// <para>
/// The server keeps the count, since consecutive releases come from different clients: a pass adds one,
/// any other hand-off (to the head of the line) sets it back to zero. A backend's server-side script or
/// statement takes the bound from here, so every backend promises the same.
/// </para>
/// <para>
/// Why 8 (measured, <c>docs/redis-lock-speed.md</c>: 32 clients in 4 processes on one Redis, 0 ms holds):
/// going from 3 to 8 cuts the hand-offs that cross processes from one in four to one in nine and moved
/// throughput against DistributedLock.Redis in the same run from 0.50× to 0.60–0.65×, with Jain's index
/// unchanged (1.000); 16 added a little more (0.68–0.70×) but its longest wait (260–270 ms, against
/// 170–245 ms at 8) went above a twentieth of the peer's, since a passed head waits up to sixteen extra turns.
/// </para>
/// </remarks>
internal static class LocalPassPolicy
{
    /// <summary>How many hand-offs in a row may go to a waiter of the releaser's own process past an older waiter of another process.</summary>
    public const int MaxPassesInARow = 8;
}
