using System.Diagnostics;
using Coord.Stress.Engine;
using Coord.Stress.Reports;
using Coord.Stress.Servers;

namespace Coord.Stress.Cli;

/// <summary>The <c>locks</c> and <c>semaphores</c> commands: run the scenarios, show and write the reports, exit non-zero on any violation.</summary>
public static class LocksCommand
{
    public static async Task<int> RunAsync(LocksOptions options, StressEndpoints endpoints, TimeSpan peerRetry, string reportRoot, bool live, string commandLine, CancellationToken cancellationToken)
    {
        var plan = new LockRunPlan
        {
            RunId = NewRunId(),
            Scenarios = LockPlanBuilder.Build(options),
            Endpoints = endpoints,
            PeerRetry = peerRetry,
        };
        var report = new RunReport { RunId = plan.RunId, StartedUtc = DateTimeOffset.UtcNow, CommandLine = commandLine };
        var started = Stopwatch.GetTimestamp();
        await using (var servers = new StressServers(endpoints))
        {
            var results = await new LiveProgress(live).RunAsync(onStart => LockRun.RunAsync(plan, servers, onStart, cancellationToken)).ConfigureAwait(false);
            report.Locks.AddRange(results.Where(s => s.Permits is null));
            report.Semaphores.AddRange(results.Where(s => s.Permits is not null));
            report.Servers.AddRange(servers.Started);
        }
        report.ElapsedSeconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
        var folder = await ReportFolder.WriteAsync(report, reportRoot, cancellationToken).ConfigureAwait(false);
        ConsoleReport.Write(report, folder);
        return report.ExitCode;
    }

    /// <summary>Short and unique enough to keep keys of concurrent runs on shared servers apart.</summary>
    public static string NewRunId() => Guid.NewGuid().ToString("N")[..8];
}
