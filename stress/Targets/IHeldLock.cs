namespace Coord.Stress.Targets;

/// <summary>A hold taken through an <see cref="ILockClient"/>.</summary>
public interface IHeldLock
{
    /// <summary>The fencing token, or null where the implementation issues none.</summary>
    long? FencingToken { get; }

    /// <summary>True once the implementation reports the hold gone before release.</summary>
    bool IsLost { get; }

    ValueTask ReleaseAsync();
}
