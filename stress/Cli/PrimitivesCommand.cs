using System.Globalization;
using System.Text.Json;
using Coord.Stress.Engine;
using Coord.Stress.Processes;
using Coord.Stress.Reports;
using Coord.Stress.Servers;
using Coord.Stress.Targets;
using Coord.Stress.Targets.Elections;
using Coord.Stress.Targets.ReaderWriter;

namespace Coord.Stress.Cli;

/// <summary>
/// The <c>rwlocks</c> and <c>elections</c> commands: every target × client count on one name, one at a time on the
/// same servers; the Markdown table on the console and in <c>report.md</c> (with <c>report.json</c>); exit code 1 on
/// any violation.
/// </summary>
public static class PrimitivesCommand
{
    public static Task<int> RunReaderWriterAsync(IReadOnlyList<string> backends, PrimitiveScenario template, IReadOnlyList<int> clients, StressEndpoints endpoints,
        string reportRoot, string commandLine, CancellationToken cancellationToken)
        => RunAsync(ReaderWriterTargetCatalog.Catalog, backends, template, clients, endpoints, reportRoot, commandLine, ReaderWriterScenarioRunner.RunAsync,
            PrimitiveReport.RenderReaderWriter, s => s.Violations + s.FencesOutOfOrder, cancellationToken);

    public static Task<int> RunElectionsAsync(IReadOnlyList<string> backends, PrimitiveScenario template, IReadOnlyList<int> clients, StressEndpoints endpoints,
        string reportRoot, string commandLine, CancellationToken cancellationToken)
        => RunAsync(ElectionTargetCatalog.Catalog, backends, template, clients, endpoints, reportRoot, commandLine, ElectionScenarioRunner.RunAsync,
            PrimitiveReport.RenderElections, s => s.Overlaps + s.TermsNotRising, cancellationToken);

    private static async Task<int> RunAsync<TClient, TStats>(PrimitiveCatalog<PrimitiveTarget<TClient>> catalog, IReadOnlyList<string> backends, PrimitiveScenario template,
        IReadOnlyList<int> clients, StressEndpoints endpoints, string reportRoot, string commandLine,
        Func<PrimitiveTarget<TClient>, PrimitiveScenario, string, CancellationToken, Task<TStats>> run,
        Func<IReadOnlyList<TStats>, IReadOnlyList<string>, string, string> render, Func<TStats, long> violations, CancellationToken cancellationToken)
        where TClient : IAsyncDisposable
    {
        var targets = catalog.Resolve(backends);
        var scenarios = targets.SelectMany(t => clients.Select(c => template with { Target = t, Clients = c })).ToArray();
        foreach (var scenario in scenarios)
            scenario.Validate(); // bad input fails before any server starts
        var runId = LocksCommand.NewRunId();
        var started = DateTimeOffset.UtcNow;
        var results = new List<TStats>();
        string markdown;
        await using (var servers = new StressServers(endpoints))
        {
            var settings = new LockTargetCatalog.Settings($"stress:{runId}:", TimeSpan.FromMilliseconds(25));
            foreach (var scenario in scenarios)
            {
                Console.WriteLine($"{scenario.Target}, {scenario.Clients} client(s), {scenario.Duration.TotalSeconds} s …");
                await using var target = await catalog.CreateAsync(scenario.Target, servers, settings, cancellationToken).ConfigureAwait(false);
                results.Add(await run(target, scenario, runId, cancellationToken).ConfigureAwait(false));
            }
            markdown = render(results, servers.Started.ToArray(), commandLine);
        }
        var folder = Path.Combine(reportRoot, started.ToString("yyyyMMdd-HHmmss", CultureInfo.InvariantCulture) + "-" + runId);
        Directory.CreateDirectory(folder);
        await File.WriteAllTextAsync(Path.Combine(folder, "report.md"), markdown, cancellationToken).ConfigureAwait(false);
        await File.WriteAllTextAsync(Path.Combine(folder, "report.json"), JsonSerializer.Serialize(results, StressJson.Options), cancellationToken).ConfigureAwait(false);
        Console.WriteLine();
        Console.WriteLine(markdown);
        var total = results.Sum(violations);
        Console.WriteLine(total == 0 ? "No violations." : $"{total} violation(s): exit code 1.");
        Console.WriteLine($"Reports: {Path.GetFullPath(folder)}");
        return total == 0 ? 0 : 1;
    }
}
