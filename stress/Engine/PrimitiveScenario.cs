namespace Coord.Stress.Engine;

/// <summary>One scenario of the <c>rwlocks</c> or <c>elections</c> command: a target, its clients on one name, and timing.</summary>
public sealed record PrimitiveScenario
{
    public required string Target { get; init; }
    public required int Clients { get; init; }
    public TimeSpan Duration { get; init; } = TimeSpan.FromSeconds(5);
    public TimeSpan Hold { get; init; } = TimeSpan.FromMilliseconds(1);
    public TimeSpan Ttl { get; init; } = TimeSpan.FromSeconds(10);
    public TimeSpan Wait { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Share of a reader-writer client's acquisitions that are reads, 0 to 1; unused by elections.</summary>
    public double ReadFraction { get; init; } = 0.8;

    /// <summary>Worker processes the clients are spread over (elections only); 1 runs them in this process.</summary>
    public int Processes { get; init; } = 1;

    /// <summary>Elections only: SIGKILL the worker process of a leader a third of the way in (needs processes ≥ 2).</summary>
    public bool KillLeader { get; init; }

    /// <summary>For progress lines and reports, e.g. <c>etcd, 4 client(s), 2 processes, kill-leader</c>.</summary>
    public string Label => string.Join(", ", new[]
    {
        Target,
        $"{Clients} client(s)",
        Processes > 1 ? $"{Processes} processes" : null,
        KillLeader ? "kill-leader" : null,
    }.OfType<string>());

    /// <exception cref="ArgumentException">A value is out of range; the message says what is allowed.</exception>
    public void Validate()
    {
        if (Clients < 1)
            throw new ArgumentException($"Clients must be at least 1, not {Clients}.");
        if (Duration <= TimeSpan.Zero)
            throw new ArgumentException($"The duration must be above zero, not {Duration}.");
        if (Hold < TimeSpan.Zero)
            throw new ArgumentException($"The hold must not be negative, not {Hold}.");
        if (Ttl <= TimeSpan.Zero || Wait <= TimeSpan.Zero)
            throw new ArgumentException("The TTL and the wait must be above zero.");
        if (Processes < 1 || Processes > Clients)
            throw new ArgumentException($"Processes must be from 1 to the number of clients ({Clients}), not {Processes}.");
        if (KillLeader && Processes < 2)
            throw new ArgumentException("The kill-leader fault kills a worker process: it needs processes ≥ 2.");
        if (double.IsNaN(ReadFraction) || ReadFraction < 0 || ReadFraction > 1)
            throw new ArgumentException($"--readers is the share of reads, from 0 (writers only) to 1 (readers only), not {ReadFraction}.");
    }
}
