using System.Diagnostics;
using Coord.Stress.IdScenarios;
using Coord.Stress.Reports;
using Coord.Stress.Servers;
using Spectre.Console;

namespace Coord.Stress.Cli;

/// <summary>The <c>ids</c> command: IDs per second per generator across thread counts, with a duplicate check.</summary>
public static class IdsCommand
{
    public static async Task<int> RunAsync(IReadOnlyList<string> generators, IReadOnlyList<int> threads, TimeSpan duration, long maxKept, StressEndpoints endpoints,
        string reportRoot, string commandLine, CancellationToken cancellationToken)
    {
        var names = generators.Contains("all") ? IdGeneratorCatalog.Names : generators;
        foreach (var name in names)
            IdGeneratorCatalog.Describe(name); // unknown names fail before anything starts
        var report = new RunReport { RunId = LocksCommand.NewRunId(), StartedUtc = DateTimeOffset.UtcNow, CommandLine = commandLine };
        var started = Stopwatch.GetTimestamp();
        await using (var servers = new StressServers(endpoints))
        {
            foreach (var name in names)
            {
                await using var source = await IdGeneratorCatalog.CreateAsync(name, servers, cancellationToken).ConfigureAwait(false);
                foreach (var count in threads)
                {
                    AnsiConsole.MarkupLine(Markup.Escape($"{DateTime.UtcNow:HH:mm:ss} running {name} with {count} thread(s) for {duration.TotalSeconds:0.#} s"));
                    report.Ids.Add(await IdScenarioRunner.RunAsync(source, count, duration, maxKept, cancellationToken).ConfigureAwait(false));
                }
            }
            report.Servers.AddRange(servers.Started);
        }
        report.ElapsedSeconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
        var folder = await ReportFolder.WriteAsync(report, reportRoot, cancellationToken).ConfigureAwait(false);
        ConsoleReport.Write(report, folder);
        return report.ExitCode;
    }
}
