using System.Globalization;
using System.Text.Json;
using Coord.Stress.Engine;
using Coord.Stress.Servers;
using Coord.Stress.Targets;
using Coord.Stress.Targets.Elections;

namespace Coord.Stress.Processes;

/// <summary>
/// The runner re-launched as a worker process of an <c>elections</c> scenario: runs its share of the candidates in
/// the parent's election on the parent's servers, announces every leadership (so the parent can kill a leader), and
/// hands back its stats and every leadership it had.
/// </summary>
public static class ElectionWorkerCommand
{
    public const string Name = "election-worker";

    public static async Task<int> RunAsync(string assignmentPath, CancellationToken cancellationToken)
    {
        var assignment = JsonSerializer.Deserialize<ElectionWorkerAssignment>(await File.ReadAllTextAsync(assignmentPath, cancellationToken).ConfigureAwait(false), StressJson.Options)
            ?? throw new ArgumentException($"Worker assignment {assignmentPath} is empty.", nameof(assignmentPath));
        await using var servers = new StressServers(assignment.Endpoints);
        var settings = new LockTargetCatalog.Settings(assignment.KeyPrefix, TimeSpan.FromMilliseconds(25));
        await using var target = await ElectionTargetCatalog.Catalog.CreateAsync(assignment.Scenario.Target, servers, settings, cancellationToken).ConfigureAwait(false);
        var output = Console.Out;
        var leaderships = new List<HoldInterval>();
        var hooks = new ElectionRunHooks
        {
            FirstCandidate = assignment.FirstCandidate,
            Election = assignment.Election,
            Leaderships = leaderships,
            BeforeMeasuring = async ct =>
            {
                await output.WriteLineAsync(WorkerProtocol.Ready).ConfigureAwait(false);
                var line = await Console.In.ReadLineAsync(ct).ConfigureAwait(false);
                if (line != WorkerProtocol.Go)
                    throw new InvalidOperationException($"Worker expected '{WorkerProtocol.Go}' from its parent, got '{line}'.");
            },
            OnElected = (candidate, term, at) => output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{WorkerProtocol.Hold} {candidate} 0 {term} {at}")),
            OnResigning = candidate => output.WriteLine($"{WorkerProtocol.Free} {candidate}"),
        };
        var stats = await ElectionScenarioRunner.RunAsync(target, assignment.Scenario, assignment.RunId, hooks, cancellationToken).ConfigureAwait(false);
        await File.WriteAllTextAsync(assignment.StatsPath, JsonSerializer.Serialize(stats, StressJson.Options), cancellationToken).ConfigureAwait(false);
        lock (leaderships)
            WorkerProtocol.WriteIntervals(assignment.IntervalsPath, leaderships);
        await output.WriteLineAsync(WorkerProtocol.Done).ConfigureAwait(false);
        return 0;
    }
}
