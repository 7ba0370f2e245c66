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
/// same servers (elections also across worker processes and with the kill-leader fault); the Markdown table on the
/// console and in <c>report.md</c> (with <c>report.json</c>); exit code 1 on any violation.
/// </summary>
public static class PrimitivesCommand
{
    public static Task<int> RunReaderWriterAsync(IReadOnlyList<string> backends, PrimitiveScenario template, IReadOnlyList<int> clients, StressEndpoints endpoints,
        string reportRoot, string commandLine, CancellationToken cancellationToken)
    {
        var scenarios = ReaderWriterTargetCatalog.Catalog.Resolve(backends).SelectMany(t => clients.Select(c => template with { Target = t, Clients = c })).ToArray();
        return RunAsync(ReaderWriterTargetCatalog.Catalog, scenarios, endpoints, reportRoot, commandLine,
            (target, scenario, _, context, ct) => ReaderWriterScenarioRunner.RunAsync(target, scenario, context.RunId, ct),
            PrimitiveReport.RenderReaderWriter, s => s.Violations + s.FencesOutOfOrder, cancellationToken);
    }

    public static Task<int> RunElectionsAsync(IReadOnlyList<string> backends, PrimitiveScenario template, IReadOnlyList<int> clients, ElectionFaultOptions faults,
        StressEndpoints endpoints, string reportRoot, string commandLine, CancellationToken cancellationToken)
        => RunAsync(ElectionTargetCatalog.Catalog, ElectionPlan(backends, template, clients, faults), endpoints, reportRoot, commandLine,
            (target, scenario, servers, context, ct) => scenario.Processes > 1
                ? ElectionProcessRunner.RunAsync(target, scenario, servers, context.RunId, context.Settings, ct)
                : ElectionScenarioRunner.RunAsync(target, scenario, context.RunId, ct),
            PrimitiveReport.RenderElections, s => s.Violations, cancellationToken);

    /// <summary>
    /// Every target at every client count (in <see cref="ElectionFaultOptions.Processes"/> processes where the target can
    /// run across processes), then the kill-leader scenarios of those targets.
    /// </summary>
    public static IReadOnlyList<PrimitiveScenario> ElectionPlan(IReadOnlyList<string> backends, PrimitiveScenario template, IReadOnlyList<int> clients, ElectionFaultOptions faults)
    {
        if (faults.Processes < 1)
            throw new ArgumentException($"--processes must be at least 1, not {faults.Processes}.");
        if (faults.OnlyFaults && !faults.KillLeader)
            throw new ArgumentException("--only-faults needs a fault: add --faults kill-leader.");
        var targets = ElectionTargetCatalog.Catalog.Resolve(backends);
        var scenarios = new List<PrimitiveScenario>();
        if (!faults.OnlyFaults)
        {
            foreach (var target in targets)
                foreach (var count in clients)
                {
                    var processes = ElectionTargetCatalog.AcrossProcesses(target) ? Math.Min(faults.Processes, count) : 1;
                    scenarios.Add(template with { Target = target, Clients = count, Processes = processes });
                }
        }
        if (faults.KillLeader)
        {
            var candidates = Math.Max(2, faults.FaultClients);
            foreach (var target in targets.Where(ElectionTargetCatalog.AcrossProcesses))
            {
                scenarios.Add(template with
                {
                    Target = target,
                    Clients = candidates,
                    Processes = Math.Clamp(faults.Processes, 2, candidates),
                    // Long enough leaderships to kill one early in its term, a short TTL so the next leader comes within the run.
                    Hold = TimeSpan.FromMilliseconds(300),
                    Ttl = faults.FaultTtl,
                    Duration = template.Duration < FaultDuration ? FaultDuration : template.Duration,
                    KillLeader = true,
                });
            }
        }
        return scenarios;
    }

    /// <summary>Shortest kill-leader run: the kill comes a third of the way in, and the next leader must come within TTL + 1 s after it.</summary>
    private static readonly TimeSpan FaultDuration = TimeSpan.FromSeconds(6);

    /// <summary>What a scenario runs with besides its target and itself.</summary>
    private sealed record RunContext(string RunId, LockTargetCatalog.Settings Settings);

    private static async Task<int> RunAsync<TClient, TStats>(PrimitiveCatalog<PrimitiveTarget<TClient>> catalog, IReadOnlyList<PrimitiveScenario> scenarios,
        StressEndpoints endpoints, string reportRoot, string commandLine,
        Func<PrimitiveTarget<TClient>, PrimitiveScenario, StressServers, RunContext, CancellationToken, Task<TStats>> run,
        Func<IReadOnlyList<TStats>, IReadOnlyList<string>, string, string> render, Func<TStats, long> violations, CancellationToken cancellationToken)
        where TClient : IAsyncDisposable
    {
        foreach (var scenario in scenarios)
            scenario.Validate(); // bad input fails before any server starts
        var runId = LocksCommand.NewRunId();
        var started = DateTimeOffset.UtcNow;
        var results = new List<TStats>();
        string markdown;
        await using (var servers = new StressServers(endpoints))
        {
            var context = new RunContext(runId, new LockTargetCatalog.Settings($"stress:{runId}:", TimeSpan.FromMilliseconds(25)));
            foreach (var scenario in scenarios)
            {
                Console.WriteLine($"{scenario.Label}, {scenario.Duration.TotalSeconds} s …");
                await using var target = await catalog.CreateAsync(scenario.Target, servers, context.Settings, cancellationToken).ConfigureAwait(false);
                results.Add(await run(target, scenario, servers, context, cancellationToken).ConfigureAwait(false));
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
