using Coord.Stress.Faults;
using Coord.Stress.Processes;
using Coord.Stress.Servers;
using Coord.Stress.Targets;
using Coord.Testing;

namespace Coord.Stress.Engine;

/// <summary>
/// Runs the scenarios of a plan (locks or semaphores) one after another on shared servers and collects their stats. A scenario
/// that cannot run (a fault the backend has no server for) is reported with a note instead of failing the run.
/// </summary>
public static class LockRun
{
    /// <summary>Called when a scenario starts, with its live progress; the display polls it.</summary>
    public delegate void ScenarioStarted(LockScenario scenario, ScenarioProgress progress);

    public static async Task<List<LockScenarioStats>> RunAsync(LockRunPlan plan, StressServers servers, ScenarioStarted? onStart, CancellationToken cancellationToken)
    {
        var settings = new LockTargetCatalog.Settings(plan.KeyPrefix, plan.PeerRetry);
        var results = new List<LockScenarioStats>();
        foreach (var scenario in plan.Scenarios)
        {
            var progress = new ScenarioProgress();
            onStart?.Invoke(scenario, progress);
            results.Add(await RunScenarioAsync(plan, scenario, servers, settings, progress, cancellationToken).ConfigureAwait(false));
        }
        return results;
    }

    public static async Task<LockScenarioStats> RunScenarioAsync(LockRunPlan plan, LockScenario scenario, StressServers servers, LockTargetCatalog.Settings settings,
        ScenarioProgress progress, CancellationToken cancellationToken)
    {
        // The kill-the-leader fault needs a cluster; etcd and ZooKeeper then run on a 3-member one.
        var clustered = scenario.Fault == FaultMode.KillServer && scenario.Target is "etcd" or "zookeeper" && plan.Endpoints.Etcd is null && plan.Endpoints.ZooKeeper is null;
        await using var target = await TargetCatalog.CreateForAsync(scenario, servers, settings with { Clustered = clustered }, cancellationToken).ConfigureAwait(false);
        if (scenario.Fault == FaultMode.PauseHolder)
        {
            if (target is not CoordLockTarget coord)
                return Skipped(scenario, target, "the pause fault drives Coord's bare leases; peers renew on their own and cannot be made to stall in-process");
            return await PausedHolderScenario.RunAsync(scenario, coord, plan.RunId, progress, cancellationToken).ConfigureAwait(false);
        }

        ServerKillFault? kill = null;
        if (scenario.Fault == FaultMode.KillServer)
        {
            kill = ServerKillFor(scenario.Target, servers);
            if (kill is null)
                return Skipped(scenario, target, "no throwaway cluster of this backend to kill a member of (RedLock masters need to be started by the runner, not given as endpoints)");
        }

        LockScenarioStats stats;
        if (scenario.Processes > 1)
        {
            stats = await ProcessScenarioRunner.RunAsync(scenario, target, servers, plan.RunId, settings, kill, progress, cancellationToken).ConfigureAwait(false);
        }
        else
        {
            var hooks = new LockRunHooks { Progress = progress };
            stats = await LockScenarioRunner.RunAsync(scenario, target, plan.RunId, kill?.Attach(hooks) ?? hooks, cancellationToken).ConfigureAwait(false);
            if (kill is not null)
                foreach (var (k, v) in kill.Outcome)
                    stats.FaultOutcome[k] = v;
        }
        if (kill is not null)
            stats.Notes.Add(kill.Describe());
        return stats;
    }

    /// <summary>Which node to kill for the kill-server fault, per backend; null where this run has none it may kill.</summary>
    private static ServerKillFault? ServerKillFor(string target, StressServers servers) => target switch
    {
        "redlock" or "redlock-net" when servers.OwnedMasters is { } masters
            => new ServerKillFault(_ => Task.FromResult<ServerNode>(masters.Nodes[0]), "killed 1 of 3 RedLock masters"),
        "etcd" when servers.OwnedEtcdCluster is { } cluster
            => new ServerKillFault(async ct => await cluster.FindLeaderAsync(cancellationToken: ct).ConfigureAwait(false), "killed the etcd leader of 3 members"),
        "zookeeper" when servers.OwnedZooKeeperEnsemble is { } ensemble
            => new ServerKillFault(async ct => await ensemble.FindLeaderAsync(cancellationToken: ct).ConfigureAwait(false), "killed the ZooKeeper leader of 3 members"),
        _ => null,
    };

    private static LockScenarioStats Skipped(LockScenario scenario, LockTarget target, string why)
        => LockScenarioStats.Describing(scenario, target) with { Notes = ["skipped: " + why] };
}
