using Coord.Stress.Engine;
using Coord.Stress.Targets;

namespace Coord.Stress.Cli;

/// <summary>
/// Turns <see cref="LocksOptions"/> into scenarios: every chosen backend at every client count (and, for
/// semaphores, every permit count), then the fault scenarios each lock backend supports.
/// </summary>
public static class LockPlanBuilder
{
    /// <summary>Backends a kill-server fault knows how to hurt (a member of a cluster the runner started).</summary>
    public static readonly IReadOnlySet<string> ServerKillTargets = new HashSet<string> { "redlock", "redlock-net", "etcd", "zookeeper" };

    /// <param name="requested">Target names, or all, coord, peers.</param>
    /// <param name="catalog">Where the names come from; null: <see cref="LockTargetCatalog"/>.</param>
    public static IReadOnlyList<string> ResolveBackends(IReadOnlyList<string> requested, TargetCatalog? catalog = null)
    {
        catalog ??= LockTargetCatalog.Catalog;
        var names = new List<string>();
        foreach (var item in requested)
        {
            var add = item switch
            {
                "all" => catalog.Names,
                "coord" => catalog.CoordNames,
                "peers" => catalog.PeerNames,
                _ when catalog.Names.Contains(item) => [item],
                _ => throw new ArgumentException($"Unknown backend '{item}' for {catalog.Kind}s. Use all, coord, peers or any of: {string.Join(", ", catalog.Names)}."),
            };
            foreach (var name in add)
                if (!names.Contains(name))
                    names.Add(name);
        }
        return names;
    }

    /// <summary>Most passes of the matrix one run makes (<see cref="LocksOptions.Rounds"/>).</summary>
    public const int MaxRounds = 20;

    public static List<LockScenario> Build(LocksOptions o)
    {
        if (o.Permits is not null && (o.Faults.Count > 0 || o.OnlyFaults))
            throw new ArgumentException("Fault scenarios run on locks only; leave out --faults and --only-faults for semaphores.");
        var backends = ResolveBackends(o.Backends, o.Permits is null ? LockTargetCatalog.Catalog : SemaphoreTargetCatalog.Catalog);
        LoadSimulation Load(int clients) => o.Iterations is { } n ? LoadSimulation.IterationsForConstant(clients, n) : LoadSimulation.KeepConstant(clients, o.Duration);
        if (o.Rounds is < 1 or > MaxRounds)
            throw new ArgumentException($"--rounds must be 1 to {MaxRounds}; it was {o.Rounds}.");
        var scenarios = new List<LockScenario>();
        for (var round = 1; round <= (o.OnlyFaults ? 0 : o.Rounds); round++)
        {
            foreach (var backend in backends)
            {
                foreach (var permits in o.Permits?.Select(p => (int?)p) ?? [null])
                {
                    foreach (var clients in o.Clients)
                    {
                        // In-memory locks live in one process, and a process needs at least one client.
                        var processes = backend == "inmemory" ? 1 : Math.Min(o.Processes, clients);
                        scenarios.Add(new LockScenario
                        {
                            Name = ScenarioLabels.For(backend, clients, o.Names, processes, FaultMode.None, permits: permits) + (o.Rounds > 1 ? $"-r{round}" : ""),
                            Target = backend,
                            Load = Load(clients),
                            Names = o.Names,
                            Hold = o.Hold,
                            Ttl = o.Ttl,
                            Wait = o.Wait,
                            Processes = processes,
                            Round = round,
                            Permits = permits,
                        });
                    }
                }
            }
        }

        var faultLoad = LoadSimulation.KeepConstant(Math.Max(2, o.FaultClients), o.Duration < TimeSpan.FromSeconds(3) ? TimeSpan.FromSeconds(3) : o.Duration);
        foreach (var fault in o.Faults.Distinct())
        {
            foreach (var backend in backends)
            {
                var clients = faultLoad.Copies;
                switch (fault)
                {
                    case FaultMode.KillHolder when backend != "inmemory":
                        // Long enough to see the dead holder's lease (and any queue place it left) run out a third of the way in.
                        var processes = Math.Max(2, Math.Min(o.Processes, clients));
                        var longer = faultLoad with { During = Max(faultLoad.During!.Value, TimeSpan.FromSeconds(10)) };
                        scenarios.Add(FaultScenario(backend, fault, longer, processes, TimeSpan.FromMilliseconds(300), o.FaultTtl));
                        break;
                    case FaultMode.KillServer when ServerKillTargets.Contains(backend):
                        scenarios.Add(FaultScenario(backend, fault, faultLoad, 1, TimeSpan.FromMilliseconds(5), o.FaultTtl));
                        break;
                    // The pause drives Coord's bare leases in-process; over HTTP there is no library lease to stall.
                    case FaultMode.PauseHolder when LockTargetCatalog.CoordNames.Contains(backend) && backend != "http":
                        foreach (var checks in new[] { true, false })
                            scenarios.Add(FaultScenario(backend, fault, faultLoad, 1, TimeSpan.FromMilliseconds(20), o.FaultTtl) with
                            {
                                Name = ScenarioLabels.For(backend, clients, 1, 1, fault, checks),
                                FencedResourceChecks = checks,
                            });
                        break;
                }
            }
        }
        foreach (var scenario in scenarios)
            scenario.Validate();
        return scenarios;
    }

    private static TimeSpan Max(TimeSpan a, TimeSpan b) => a > b ? a : b;

    private static LockScenario FaultScenario(string backend, FaultMode fault, LoadSimulation load, int processes, TimeSpan hold, TimeSpan ttl) => new()
    {
        Name = ScenarioLabels.For(backend, load.Copies, 1, processes, fault),
        Target = backend,
        Load = load,
        Names = 1,
        Hold = hold,
        Ttl = ttl,
        Wait = TimeSpan.FromSeconds(30),
        Processes = processes,
        Fault = fault,
    };
}
