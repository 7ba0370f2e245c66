namespace Coord.Locks;

/// <summary>Settings every backend shares. Backend option types derive from this.</summary>
public class LockOptions
{
    /// <summary>Longest lease a lock may ask for.</summary>
    public static readonly TimeSpan MaximumTtl = TimeSpan.FromDays(1);

    /// <summary>Shortest lease a lock may ask for: anything shorter cannot be renewed in time.</summary>
    public static readonly TimeSpan MinimumTtl = TimeSpan.FromMilliseconds(10);

    /// <summary>Longest bounded wait an acquire may ask for (null waits until cancelled).</summary>
    public static readonly TimeSpan MaximumWait = TimeSpan.FromDays(365);

    /// <summary>Lease length when an acquire call gives none: <see cref="MinimumTtl"/> to <see cref="MaximumTtl"/>; default 15 s.</summary>
    public TimeSpan DefaultTtl { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>
    /// Extra time, on top of a caller's wait, that a backend may take to answer before the call fails
    /// with <see cref="LockBackendException"/>. More than 0 and at most 5 minutes; default 5 s.
    /// </summary>
    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Fraction of the TTL assumed lost to clock rate differences between client and server; the
    /// handle treats its hold as gone this much (plus 2 ms) before the server could expire it. At least 0 and less than 0.5; default 0.01.
    /// </summary>
    public double ClockDriftFactor { get; set; } = 0.01;

    /// <summary>How long before a server could end a lease of <paramref name="ttl"/> the client stops vouching for the hold.</summary>
    public TimeSpan DriftMarginFor(TimeSpan ttl) => TimeSpan.FromTicks((long)(ttl.Ticks * ClockDriftFactor)) + TimeSpan.FromMilliseconds(2);

    /// <summary>Time source; tests may inject a fake one.</summary>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;

    /// <summary>Checks every setting; called when a provider is built or registered.</summary>
    /// <exception cref="ArgumentException">A setting is out of range; the message names it and what is allowed.</exception>
    public virtual void Validate()
    {
        LockValidation.ValidateTtl(DefaultTtl, nameof(DefaultTtl));
        if (ConnectTimeout <= TimeSpan.Zero || ConnectTimeout > TimeSpan.FromMinutes(5))
            throw new ArgumentException($"{nameof(ConnectTimeout)} must be more than 0 and at most 5 minutes; it was {ConnectTimeout}.", nameof(ConnectTimeout));
        if (!(ClockDriftFactor >= 0 && ClockDriftFactor < 0.5))
            throw new ArgumentException($"{nameof(ClockDriftFactor)} must be at least 0 and less than 0.5; it was {ClockDriftFactor}.", nameof(ClockDriftFactor));
        ArgumentNullException.ThrowIfNull(TimeProvider);
    }
}
