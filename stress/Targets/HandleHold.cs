using Coord.Locks;

namespace Coord.Stress.Targets;

/// <summary>A hold that is a Coord <see cref="ILockHandle"/> (a lock or a semaphore permit); releasing disposes the handle.</summary>
internal sealed class HandleHold(ILockHandle handle) : IHeldLock
{
    public long? FencingToken => handle.HasFencingToken ? handle.FencingToken : null;
    public bool IsLost => handle.IsLost;
    public ValueTask ReleaseAsync() => handle.DisposeAsync();
}
