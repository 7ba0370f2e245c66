namespace Coord.Service.Hosting;

/// <summary>
/// Bounds on what one request may ask for (section <c>Coord:Limits</c>). They keep one client from
/// tying up the service: a long wait holds a connection, a huge count holds a thread, a huge body holds memory.
/// </summary>
public sealed class ServiceLimits
{
    public const string SectionName = "Coord:Limits";

    /// <summary>Shortest lease a client may ask for. Shorter leases cannot be renewed over HTTP in time. Default 1 s.</summary>
    public TimeSpan MinTtl { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Longest lease a client may ask for. Default 1 h: a crashed client's lock frees itself within this.</summary>
    public TimeSpan MaxTtl { get; set; } = TimeSpan.FromHours(1);

    /// <summary>Lease length when a request gives none. Default 15 s.</summary>
    public TimeSpan DefaultTtl { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>Longest an acquire request may wait for the lock. Default 30 s.</summary>
    public TimeSpan MaxWait { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Most ids one request may ask for. Default 10,000.</summary>
    public int MaxCount { get; set; } = 10_000;

    /// <summary>Largest request body Kestrel accepts. Default 16 KiB (lock requests are a few dozen bytes).</summary>
    public long MaxRequestBodyBytes { get; set; } = 16 * 1024;

    /// <summary>How long /readyz waits for each backend. Default 2 s.</summary>
    public TimeSpan ReadinessTimeout { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>Throws <see cref="ArgumentException"/> naming the setting that is out of range.</summary>
    public void Validate()
    {
        if (MinTtl < TimeSpan.FromMilliseconds(100) || MinTtl > MaxTtl)
            throw new ArgumentException($"{SectionName}:MinTtl must be at least 100 ms and at most MaxTtl; it was {MinTtl}.");
        if (MaxTtl > TimeSpan.FromDays(1))
            throw new ArgumentException($"{SectionName}:MaxTtl must be at most 1 day (the lock library's bound); it was {MaxTtl}.");
        if (DefaultTtl < MinTtl || DefaultTtl > MaxTtl)
            throw new ArgumentException($"{SectionName}:DefaultTtl must lie between MinTtl ({MinTtl}) and MaxTtl ({MaxTtl}); it was {DefaultTtl}.");
        if (MaxWait < TimeSpan.Zero || MaxWait > TimeSpan.FromMinutes(10))
            throw new ArgumentException($"{SectionName}:MaxWait must be between 0 and 10 minutes; it was {MaxWait}.");
        if (MaxCount is < 1 or > 1_000_000)
            throw new ArgumentException($"{SectionName}:MaxCount must be between 1 and 1,000,000; it was {MaxCount}.");
        if (MaxRequestBodyBytes is < 256 or > 16 * 1024 * 1024)
            throw new ArgumentException($"{SectionName}:MaxRequestBodyBytes must be between 256 bytes and 16 MiB; it was {MaxRequestBodyBytes}.");
        if (ReadinessTimeout <= TimeSpan.Zero || ReadinessTimeout > TimeSpan.FromSeconds(30))
            throw new ArgumentException($"{SectionName}:ReadinessTimeout must be more than 0 and at most 30 s; it was {ReadinessTimeout}.");
    }
}
