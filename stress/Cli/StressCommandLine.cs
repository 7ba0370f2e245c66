using System.CommandLine;
using Coord.Stress.Engine;
using Coord.Stress.IdScenarios;
using Coord.Stress.Processes;
using Coord.Stress.Reports;
using Coord.Stress.Servers;
using Coord.Stress.Targets;
using Coord.Stress.Targets.Elections;
using Coord.Stress.Targets.ReaderWriter;

namespace Coord.Stress.Cli;

/// <summary>The command line: <c>locks</c>, <c>semaphores</c>, <c>ids</c>, and the hidden <c>worker</c> used by processes ≥ 2.</summary>
public static class StressCommandLine
{
    public static RootCommand Build(string[] args)
    {
        var commandLine = "dotnet run -c Release --project stress -- " + string.Join(' ', args.Select(a => a.Contains(' ') ? $"\"{a}\"" : a));

        var redis = new Option<string?>("--redis") { Description = "Redis server for redis and dlock-redis (StackExchange.Redis configuration); default: start a throwaway one" };
        var masters = new Option<string?>("--redis-masters") { Description = "Comma-separated independent Redis masters for redlock and redlock-net; default: start 3 throwaway ones" };
        var postgres = new Option<string?>("--postgres") { Description = "Npgsql connection string of the lock database; default: start a throwaway server" };
        var etcd = new Option<string?>("--etcd") { Description = "Comma-separated etcd client URLs; default: start a throwaway node" };
        var zooKeeper = new Option<string?>("--zookeeper") { Description = "ZooKeeper connect string; default: start a throwaway node" };
        var reportDir = new Option<string>("--report-dir") { Description = "Where the run's report folder goes", DefaultValueFactory = _ => ReportFolder.DefaultRoot };
        var duration = new Option<TimeSpan>("--duration", "-d") { Description = "How long each scenario runs (KeepConstant), e.g. 5s", DefaultValueFactory = _ => TimeSpan.FromSeconds(5), CustomParser = CliValues.Duration };

        StressEndpoints Endpoints(ParseResult r) => new()
        {
            Redis = r.GetValue(redis),
            RedisMasters = r.GetValue(masters) is { } m ? CliValues.List(m) : null,
            Postgres = r.GetValue(postgres),
            Etcd = r.GetValue(etcd) is { } e ? CliValues.List(e) : null,
            ZooKeeper = r.GetValue(zooKeeper),
        };

        var backends = new Option<string>("--backends", "-b") { Description = $"Comma-separated: all, coord, peers, or of {string.Join(", ", LockTargetCatalog.Names)}", DefaultValueFactory = _ => "all" };
        var clients = new Option<string>("--clients", "-c") { Description = "Comma-separated client counts; one scenario per backend and count", DefaultValueFactory = _ => "1,32" };
        var names = new Option<int>("--names", "-n") { Description = "Lock names the clients spread over (1 = maximum contention)", DefaultValueFactory = _ => 1 };
        var hold = new Option<TimeSpan>("--hold") { Description = "Time inside the critical section", DefaultValueFactory = _ => TimeSpan.Zero, CustomParser = CliValues.Duration };
        var ttl = new Option<TimeSpan>("--ttl") { Description = "Lease TTL (on ZooKeeper at least the server's minimum session timeout, 1 s for the throwaway one)", DefaultValueFactory = _ => TimeSpan.FromSeconds(10), CustomParser = CliValues.Duration };
        var wait = new Option<TimeSpan>("--wait") { Description = "Longest wait of one acquire before it counts as a timeout", DefaultValueFactory = _ => TimeSpan.FromSeconds(30), CustomParser = CliValues.Duration };
        var iterations = new Option<long?>("--iterations", "-i") { Description = "Total acquisitions per scenario (IterationsForConstant) instead of a duration" };
        var rounds = new Option<int>("--rounds") { Description = $"Passes of the whole backends × clients matrix, one after another (1 to {LockPlanBuilder.MaxRounds}); side by side shows each target's median pass", DefaultValueFactory = _ => 1 };
        var processes = new Option<int>("--processes", "-p") { Description = "Worker processes per scenario (≥ 2: the runner re-launches itself and checks violations across processes)", DefaultValueFactory = _ => 1 };
        var faults = new Option<string>("--faults", "-f") { Description = "Comma-separated fault scenarios to add: kill-holder, kill-server, pause-holder, all", DefaultValueFactory = _ => "" };
        var onlyFaults = new Option<bool>("--only-faults") { Description = "Skip the backends × clients matrix; run only the fault scenarios" };
        var faultTtl = new Option<TimeSpan>("--fault-ttl") { Description = "TTL in fault scenarios", DefaultValueFactory = _ => TimeSpan.FromSeconds(1), CustomParser = CliValues.Duration };
        var faultClients = new Option<int>("--fault-clients") { Description = "Clients in fault scenarios", DefaultValueFactory = _ => 4 };
        var peerRetry = new Option<TimeSpan>("--peer-retry") { Description = "RedLock.net retry interval while waiting", DefaultValueFactory = _ => TimeSpan.FromMilliseconds(25), CustomParser = CliValues.Duration };
        var noLive = new Option<bool>("--no-live") { Description = "Plain progress lines instead of live bars" };

        var locks = new Command("locks", "Lock contention scenarios: every backend and its peers on the same servers, with faults");
        foreach (var option in new Option[] { backends, clients, names, hold, ttl, wait, duration, iterations, processes, rounds, faults, onlyFaults, faultTtl, faultClients, peerRetry, redis, masters, postgres, etcd, zooKeeper, reportDir, noLive })
            locks.Options.Add(option);
        LocksOptions Load(ParseResult r) => new()
        {
            Clients = CliValues.IntList(r.GetValue(clients)!, "--clients"),
            Names = r.GetValue(names),
            Hold = r.GetValue(hold),
            Ttl = r.GetValue(ttl),
            Wait = r.GetValue(wait),
            Duration = r.GetValue(duration),
            Iterations = r.GetValue(iterations),
            Processes = r.GetValue(processes),
        };
        locks.SetAction(async (r, ct) =>
        {
            var options = Load(r) with
            {
                Backends = CliValues.List(r.GetValue(backends)!),
                Rounds = r.GetValue(rounds),
                Faults = ParseFaults(r.GetValue(faults)!),
                OnlyFaults = r.GetValue(onlyFaults),
                FaultTtl = r.GetValue(faultTtl),
                FaultClients = r.GetValue(faultClients),
            };
            return await LocksCommand.RunAsync(options, Endpoints(r), r.GetValue(peerRetry), r.GetValue(reportDir)!, !r.GetValue(noLive), commandLine, ct).ConfigureAwait(false);
        });

        // Semaphores run on the lock scenario engine (a lock is the 1-permit case) with a catalog of their own:
        // the backends and peers differ, so `locks -b all` keeps its meaning.
        var semaphoreBackends = new Option<string>("--backends", "-b") { Description = $"Comma-separated: all, coord, peers, or of {string.Join(", ", SemaphoreTargetCatalog.Names)}", DefaultValueFactory = _ => "all" };
        var permits = new Option<string>("--permits", "-k") { Description = "Comma-separated permits per name (N); one scenario per backend, permit count and client count", DefaultValueFactory = _ => "4" };
        var semaphores = new Command("semaphores", "Semaphore contention scenarios (N permits per name): every backend and its peers on the same servers; permits in use never above N");
        foreach (var option in new Option[] { semaphoreBackends, permits, clients, names, hold, ttl, wait, duration, iterations, processes, redis, postgres, etcd, zooKeeper, reportDir, noLive })
            semaphores.Options.Add(option);
        semaphores.SetAction(async (r, ct) =>
        {
            var options = Load(r) with
            {
                Backends = CliValues.List(r.GetValue(semaphoreBackends)!),
                Permits = CliValues.IntList(r.GetValue(permits)!, "--permits"),
            };
            return await LocksCommand.RunAsync(options, Endpoints(r), r.GetValue(peerRetry), r.GetValue(reportDir)!, !r.GetValue(noLive), commandLine, ct).ConfigureAwait(false);
        });

        // Reader-writer locks and elections have target types of their own (ReaderWriterTargetCatalog, ElectionTargetCatalog).
        var primitiveHold = new Option<TimeSpan>("--hold") { Description = "Time inside the critical section or leading", DefaultValueFactory = _ => TimeSpan.FromMilliseconds(1), CustomParser = CliValues.Duration };
        PrimitiveScenario Primitive(ParseResult r) => new()
        {
            Target = "",
            Clients = 1,
            Duration = r.GetValue(duration),
            Hold = r.GetValue(primitiveHold),
            Ttl = r.GetValue(ttl),
            Wait = r.GetValue(wait),
        };
        var rwBackends = new Option<string>("--backends", "-b") { Description = $"Comma-separated: all, coord, peers, or of {string.Join(", ", ReaderWriterTargetCatalog.Catalog.Names)}", DefaultValueFactory = _ => "all" };
        var readers = new Option<double>("--readers") { Description = "Share of acquisitions that are reads, 0 to 1", DefaultValueFactory = _ => 0.8 };
        var rwLocks = new Command("rwlocks", "Reader-writer lock contention on one name: a writer never beside a reader or writer, readers may share");
        foreach (var option in new Option[] { rwBackends, readers, clients, primitiveHold, ttl, wait, duration, redis, postgres, zooKeeper, reportDir })
            rwLocks.Options.Add(option);
        rwLocks.SetAction((r, ct) => PrimitivesCommand.RunReaderWriterAsync(CliValues.List(r.GetValue(rwBackends)!), Primitive(r) with { ReadFraction = r.GetValue(readers) },
            CliValues.IntList(r.GetValue(clients)!, "--clients"), Endpoints(r), r.GetValue(reportDir)!, commandLine, ct));

        var electionBackends = new Option<string>("--backends", "-b") { Description = $"Comma-separated: all, coord, peers, or of {string.Join(", ", ElectionTargetCatalog.Catalog.Names)}", DefaultValueFactory = _ => "all" };
        var electionProcesses = new Option<int>("--processes", "-p") { Description = "Worker processes the candidates are spread over (≥ 2: leaderships checked across processes; Coord targets with a server)", DefaultValueFactory = _ => 1 };
        var electionFaults = new Option<string>("--faults", "-f") { Description = "Fault scenarios to add: kill-leader (SIGKILL the process of a leader; the next must lead within TTL + 1 s, in a higher term)", DefaultValueFactory = _ => "" };
        var elections = new Command("elections", "Leader election turnover on one election: each leader leads for --hold and resigns; never two leaders at once, terms strictly rising");
        foreach (var option in new Option[] { electionBackends, clients, primitiveHold, ttl, wait, duration, electionProcesses, electionFaults, onlyFaults, faultTtl, faultClients, redis, postgres, etcd, zooKeeper, reportDir })
            elections.Options.Add(option);
        elections.SetAction((r, ct) => PrimitivesCommand.RunElectionsAsync(CliValues.List(r.GetValue(electionBackends)!), Primitive(r),
            CliValues.IntList(r.GetValue(clients)!, "--clients"), new ElectionFaultOptions
            {
                Processes = r.GetValue(electionProcesses),
                KillLeader = ParseElectionFaults(r.GetValue(electionFaults)!),
                OnlyFaults = r.GetValue(onlyFaults),
                FaultTtl = r.GetValue(faultTtl),
                FaultClients = r.GetValue(faultClients),
            }, Endpoints(r), r.GetValue(reportDir)!, commandLine, ct));

        var generators = new Option<string>("--generators", "-g") { Description = $"Comma-separated: all, or of {string.Join(", ", IdGeneratorCatalog.Names)}", DefaultValueFactory = _ => "all" };
        var threads = new Option<string>("--threads", "-t") { Description = "Comma-separated thread counts", DefaultValueFactory = _ => "1,2,4" };
        var maxKept = new Option<long>("--max-kept") { Description = "IDs kept for the duplicate check, in all (memory cap)", DefaultValueFactory = _ => 8_000_000 };
        var idDuration = new Option<TimeSpan>("--duration", "-d") { Description = "How long each generator × thread count runs", DefaultValueFactory = _ => TimeSpan.FromSeconds(2), CustomParser = CliValues.Duration };
        var ids = new Command("ids", "ID throughput per generator across thread counts, with a duplicate check");
        foreach (var option in new Option[] { generators, threads, idDuration, maxKept, redis, postgres, etcd, zooKeeper, reportDir })
            ids.Options.Add(option);
        ids.SetAction((r, ct) => IdsCommand.RunAsync(CliValues.List(r.GetValue(generators)!), CliValues.IntList(r.GetValue(threads)!, "--threads"), r.GetValue(idDuration),
            r.GetValue(maxKept), Endpoints(r), r.GetValue(reportDir)!, commandLine, ct));

        var assignment = new Option<string>("--assignment") { Required = true, Description = "Worker assignment file written by the parent" };
        var worker = new Command("worker", "Internal: one worker process of a scenario with processes ≥ 2") { Hidden = true };
        worker.Options.Add(assignment);
        worker.SetAction((r, ct) => WorkerCommand.RunAsync(r.GetValue(assignment)!, ct));
        var electionWorker = new Command(ElectionWorkerCommand.Name, "Internal: one worker process of an elections scenario with processes ≥ 2") { Hidden = true };
        electionWorker.Options.Add(assignment);
        electionWorker.SetAction((r, ct) => ElectionWorkerCommand.RunAsync(r.GetValue(assignment)!, ct));

        var root = new RootCommand("Coord stress runner: lock and semaphore contention (Coord backends and peer libraries side by side, locks with faults) and ID throughput.");
        root.Subcommands.Add(locks);
        root.Subcommands.Add(semaphores);
        root.Subcommands.Add(rwLocks);
        root.Subcommands.Add(elections);
        root.Subcommands.Add(ids);
        root.Subcommands.Add(worker);
        root.Subcommands.Add(electionWorker);
        return root;
    }

    /// <summary>The <c>elections</c> command's <c>--faults</c>: true when kill-leader is asked for.</summary>
    public static bool ParseElectionFaults(string text) => CliValues.List(text).Aggregate(false, (kill, f) => f switch
    {
        "none" => kill,
        "kill-leader" or "all" => true,
        _ => throw new ArgumentException($"Unknown election fault '{f}'. Use kill-leader, all or none."),
    });

    public static IReadOnlyList<FaultMode> ParseFaults(string text) => CliValues.List(text).SelectMany(f => f switch
    {
        "none" => Array.Empty<FaultMode>(),
        "all" => [FaultMode.KillHolder, FaultMode.KillServer, FaultMode.PauseHolder],
        "kill-holder" => [FaultMode.KillHolder],
        "kill-server" or "kill-leader" or "kill-master" => [FaultMode.KillServer],
        "pause-holder" => [FaultMode.PauseHolder],
        _ => throw new ArgumentException($"Unknown fault '{f}'. Use kill-holder, kill-server, pause-holder, all or none."),
    }).Distinct().ToArray();
}
