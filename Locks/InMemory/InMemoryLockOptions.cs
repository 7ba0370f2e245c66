namespace Coord.Locks.InMemory;

/// <summary>Options for <see cref="InMemoryLock"/>.</summary>
public sealed class InMemoryLockOptions : LockOptions
{
    /// <summary>Where holds live. Providers that share a store exclude each other; the default is one store per process.</summary>
    public InMemoryLockStore Store { get; set; } = InMemoryLockStore.Shared;

    /// <inheritdoc/>
    public override void Validate()
    {
        base.Validate();
        ArgumentNullException.ThrowIfNull(Store, nameof(Store));
    }
}
