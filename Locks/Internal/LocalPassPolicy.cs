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
/// The server keeps the count, since consecutive releases come from different clients: a pass adds one,
/// any other hand-off (to the head of the line) sets it back to zero. A backend's server-side script or
/// statement takes the bound from here, so every backend promises the same.
/// </remarks>
internal static class LocalPassPolicy
{
    /// <summary>How many hand-offs in a row may go to a waiter of the releaser's own process past an older waiter of another process.</summary>
    public const int MaxPassesInARow = 3;
}
