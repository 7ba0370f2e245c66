namespace Coord.Locks.InMemory;

/// <summary>Options for <see cref="InMemoryLock"/>.</summary>
public sealed class InMemoryLockOptions : LockOptions
{
    private InMemoryLockStore? _store;

    /// <summary>
    /// Where holds live. Providers that share a store exclude each other. Unless set, the process-wide
    /// store of <see cref="LockOptions.TimeProvider"/>: one store per clock, so providers on the same
    /// clock exclude each other and a test clock moves the expiry of its own holds only.
    /// </summary>
    public InMemoryLockStore Store
    {
        get => _store ?? InMemoryLockStore.For(TimeProvider);
        set => _store = value;
    }

    /// <inheritdoc/>
    /// <exception cref="ArgumentException">The store runs on another clock than <see cref="LockOptions.TimeProvider"/>.</exception>
    public override void Validate()
    {
        base.Validate();
        ArgumentNullException.ThrowIfNull(Store, nameof(Store));
        // Leases are renewed on the provider's clock and expired on the store's: two clocks would
        // let a hold expire while its renewal timer still thinks it has time, or never expire.
        if (!ReferenceEquals(Store.Time, TimeProvider))
            throw new ArgumentException(
                $"{nameof(Store)} runs on a different TimeProvider than {nameof(TimeProvider)}. " +
                $"Create the store with the same clock (new {nameof(InMemoryLockStore)}(options.{nameof(TimeProvider)})), or leave {nameof(Store)} unset to use the clock's shared store.",
                nameof(Store));
    }
}
