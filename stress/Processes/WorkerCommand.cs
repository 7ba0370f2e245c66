using System.Globalization;
using System.Text.Json;
using Coord.Stress.Engine;
using Coord.Stress.Servers;
using Coord.Stress.Targets;

namespace Coord.Stress.Processes;

/// <summary>
/// The runner re-launched as a worker process: runs its share of a scenario's clients against the
/// parent's servers and hands back its stats and every critical section it saw.
/// </summary>
public static class WorkerCommand
{
    public static async Task<int> RunAsync(string assignmentPath, CancellationToken cancellationToken)
    {
        var assignment = JsonSerializer.Deserialize<WorkerAssignment>(await File.ReadAllTextAsync(assignmentPath, cancellationToken).ConfigureAwait(false), StressJson.Options)
            ?? throw new ArgumentException($"Worker assignment {assignmentPath} is empty.", nameof(assignmentPath));
        await using var servers = new StressServers(assignment.Endpoints);
        await using var target = await TargetCatalog.CreateForAsync(assignment.Scenario, servers, new LockTargetCatalog.Settings(assignment.KeyPrefix, assignment.PeerRetry), cancellationToken).ConfigureAwait(false);
        var output = Console.Out;
        var progress = new ScenarioProgress();
        var intervals = new List<HoldInterval>();
        var hooks = new LockRunHooks
        {
            FirstClient = assignment.FirstClient,
            Clients = assignment.Clients,
            Intervals = intervals,
            MeasureServerCounters = false,
            Progress = progress,
            BeforeMeasuring = async ct =>
            {
                await output.WriteLineAsync(WorkerProtocol.Ready).ConfigureAwait(false);
                var line = await Console.In.ReadLineAsync(ct).ConfigureAwait(false);
                if (line != WorkerProtocol.Go)
                    throw new InvalidOperationException($"Worker expected '{WorkerProtocol.Go}' from its parent, got '{line}'.");
            },
            OnHold = assignment.AnnounceHolds
                ? (client, nameIndex, fence, at) => output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{WorkerProtocol.Hold} {client} {nameIndex} {fence ?? HoldInterval.NoFence} {at}"))
                : null,
            OnFree = assignment.AnnounceHolds ? client => output.WriteLine($"{WorkerProtocol.Free} {client}") : null,
        };
        using var ticker = new Timer(_ => output.WriteLine($"{WorkerProtocol.Progress} {progress.Acquisitions}"), null, TimeSpan.FromMilliseconds(500), TimeSpan.FromMilliseconds(500));
        var stats = await LockScenarioRunner.RunAsync(assignment.Scenario, target, assignment.RunId, hooks, cancellationToken).ConfigureAwait(false);
        await File.WriteAllTextAsync(assignment.StatsPath, JsonSerializer.Serialize(stats, StressJson.Options), cancellationToken).ConfigureAwait(false);
        WorkerProtocol.WriteIntervals(assignment.IntervalsPath, intervals);
        await output.WriteLineAsync(WorkerProtocol.Done).ConfigureAwait(false);
        return 0;
    }
}
