namespace Coord.Stress.Engine;

/// <summary>
/// One critical section as a client saw it, in <see cref="System.Diagnostics.Stopwatch"/> timestamps
/// (CLOCK_MONOTONIC on Linux, so comparable between processes on one machine).
/// </summary>
/// <param name="WaitStarted">When the client asked for the lock.</param>
/// <param name="Acquired">When the acquire call returned the lock.</param>
/// <param name="Released">When the client left the critical section, before it sent the release.</param>
/// <param name="Fence">Fencing token, or <see cref="long.MinValue"/> when there is none.</param>
public readonly record struct HoldInterval(int Client, int NameIndex, long WaitStarted, long Acquired, long Released, long Fence)
{
    public const long NoFence = long.MinValue;
}
