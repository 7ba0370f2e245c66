using System.Text.Json.Serialization;

namespace Coord.Stress.Engine;

/// <summary>
/// One lock or semaphore scenario (NBomber's scenario): which target, under what load simulation, and the
/// steps each copy repeats — acquire one of <see cref="Names"/> lock names (a permit of one of that many
/// semaphores when <see cref="Permits"/> is set), hold it for <see cref="Hold"/>, release.
/// </summary>
public sealed record LockScenario
{
    public required string Name { get; init; }

    /// <summary>Target name from <see cref="Targets.LockTargetCatalog"/>, e.g. <c>redis</c> or <c>dlock-redis</c>, or from <see cref="Targets.SemaphoreTargetCatalog"/> when <see cref="Permits"/> is set.</summary>
    public required string Target { get; init; }

    /// <summary>Copies are clients; each has its own connection or session.</summary>
    public required LoadSimulation Load { get; init; }

    /// <summary>How many lock names the clients spread over; 1 is maximum contention.</summary>
    public int Names { get; init; } = 1;

    /// <summary>Time spent inside the critical section.</summary>
    public TimeSpan Hold { get; init; } = TimeSpan.Zero;

    public TimeSpan Ttl { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Longest one acquire may wait before it counts as a timeout error.</summary>
    public TimeSpan Wait { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Worker processes the clients are spread over; 1 runs them all in this process.</summary>
    public int Processes { get; init; } = 1;

    /// <summary>Which pass of the matrix this scenario belongs to (<c>--rounds</c>), from 1.</summary>
    public int Round { get; init; } = 1;

    /// <summary>Null for a lock; for a semaphore, the permits of each name (how many clients may hold it at once).</summary>
    public int? Permits { get; init; }

    /// <summary>Holders a name admits at once: 1 for a lock, <see cref="Permits"/> for a semaphore.</summary>
    [JsonIgnore] public int Capacity => Permits ?? 1;

    public FaultMode Fault { get; init; } = FaultMode.None;

    /// <summary>For <see cref="FaultMode.PauseHolder"/>: whether the resource rejects writes with an older fencing token.</summary>
    public bool FencedResourceChecks { get; init; } = true;

    /// <summary>Lock names of this scenario; a unique prefix keeps scenarios of one run apart.</summary>
    public string LockName(string runId, int index) => $"stress/{runId}/{Name}/{index}";

    public void Validate()
    {
        if (Names < 1)
            throw new ArgumentException($"A scenario needs at least 1 lock name; it was {Names}.", nameof(Names));
        if (Processes < 1 || Processes > 64)
            throw new ArgumentException($"Processes must be between 1 and 64; it was {Processes}.", nameof(Processes));
        if (Processes > Load.Copies)
            throw new ArgumentException($"Processes ({Processes}) cannot exceed clients ({Load.Copies}): every process runs at least one client.", nameof(Processes));
        if (Hold < TimeSpan.Zero)
            throw new ArgumentException($"Hold time cannot be negative; it was {Hold}.", nameof(Hold));
        if (Ttl <= TimeSpan.Zero)
            throw new ArgumentException($"TTL must be more than 0; it was {Ttl}.", nameof(Ttl));
        if (Permits < 1)
            throw new ArgumentException($"A semaphore needs at least 1 permit per name; it was {Permits}.", nameof(Permits));
        if (Permits is not null && Fault != FaultMode.None)
            throw new ArgumentException($"Fault scenarios run on locks only; the {Fault} fault was asked for a semaphore scenario.", nameof(Fault));
        if (Fault == FaultMode.KillHolder && Processes < 2)
            throw new ArgumentException("The kill-holder fault kills a worker process: use processes ≥ 2.", nameof(Fault));
    }
}
