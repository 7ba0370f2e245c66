using System.Globalization;
using System.Text;
using Coord.Stress.Engine;

namespace Coord.Stress.Reports;

/// <summary>The Markdown tables of the <c>rwlocks</c> and <c>elections</c> commands (console and report.md alike).</summary>
public static class PrimitiveReport
{
    public static string RenderReaderWriter(IReadOnlyList<ReaderWriterStats> runs, IReadOnlyList<string> servers, string commandLine)
    {
        var text = Header("Reader-writer locks", servers, commandLine);
        text.AppendLine("| target | library | clients | reads | reads/s | writes/s | read wait p99.9 ms | read wait max ms | write wait p99.9 ms | write wait max ms | Jain | peak readers | writer beside others | fences out of order | errors |");
        text.AppendLine("|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|");
        foreach (var r in runs)
        {
            text.AppendLine(CultureInfo.InvariantCulture,
                $"| {r.Target} | {r.Library} | {r.Clients} | {Numbers.Plain(r.ReadFraction)} | {Numbers.Rate(r.ReadsPerSecond)} | {Numbers.Rate(r.WritesPerSecond)} | {Ms(r.ReadWait.P999Us, r.Reads)} | {Ms(r.ReadWait.MaxUs, r.Reads)} | {Ms(r.WriteWait.P999Us, r.Writes)} | {Ms(r.WriteWait.MaxUs, r.Writes)} | {Numbers.Index(r.Jain)} | {r.PeakReaders} | {r.Violations} | {r.FencesOutOfOrder} | {Errors(r.Errors)} |");
        }
        return text.ToString();
    }

    public static string RenderElections(IReadOnlyList<ElectionStats> runs, IReadOnlyList<string> servers, string commandLine)
    {
        var text = Header("Leader elections", servers, commandLine);
        text.AppendLine("| target | library | candidates | processes | fault | elections/s | campaign wait p50 ms | p99.9 ms | max ms | Jain | terms | two leaders at once | terms not rising | errors |");
        text.AppendLine("|---|---|--:|--:|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|");
        foreach (var e in runs)
        {
            text.AppendLine(CultureInfo.InvariantCulture,
                $"| {e.Target} | {e.Library} | {e.Candidates} | {e.Processes} | {(e.KillLeader is null ? "–" : "kill-leader")} | {Numbers.Rate(e.TurnoversPerSecond)} | {Ms(e.CampaignWait.P50Us, e.Turnovers)} | {Ms(e.CampaignWait.P999Us, e.Turnovers)} | {Ms(e.CampaignWait.MaxUs, e.Turnovers)} | {Numbers.Index(e.Jain)} | {e.FirstTerm}…{e.LastTerm} | {e.Overlaps} | {e.TermsNotRising} | {Errors(e.Errors)} |");
        }
        text.AppendLine().AppendLine("Curator's LeaderLatch has no term: its \"terms\" are the driver's count of the leaderships it saw, so only its overlap check means anything.");
        if (runs.Any(e => e.KillLeader is not null))
        {
            text.AppendLine().AppendLine("### Kill the leader").AppendLine();
            text.AppendLine("The worker process of a leader is SIGKILLed early in its leadership a third of the way in; the next leader must lead within TTL + 1 s, in a higher term. The killed process's earlier leaderships are not in the counts above.").AppendLine();
            text.AppendLine("| target | candidates | processes | TTL s | killed term | next term | kill → next leader s | limit s | terms rose | result |");
            text.AppendLine("|---|--:|--:|--:|--:|--:|--:|--:|---|---|");
            foreach (var e in runs.Where(e => e.KillLeader is not null))
            {
                var k = e.KillLeader!;
                text.AppendLine(CultureInfo.InvariantCulture,
                    $"| {e.Target} | {e.Candidates} | {e.Processes} | {Numbers.Plain(k.TtlSeconds)} | {Term(k.KilledTerm)} | {Term(k.NextTerm)} | {(k.SecondsToNextLeader is { } s ? s.ToString("0.000", CultureInfo.InvariantCulture) : "none")} | {Numbers.Plain(k.LimitSeconds)} | {(k.TermsRose ? "yes" : "no")} | {(k.Passed ? "ok" : "FAIL")} |");
            }
        }
        return text.ToString();
    }

    private static StringBuilder Header(string title, IReadOnlyList<string> servers, string commandLine)
    {
        var text = new StringBuilder().AppendLine(CultureInfo.InvariantCulture, $"## {title}").AppendLine();
        text.AppendLine(CultureInfo.InvariantCulture, $"`{commandLine}`").AppendLine();
        foreach (var server in servers)
            text.AppendLine(CultureInfo.InvariantCulture, $"- {server}");
        return text.AppendLine();
    }

    private static string Term(long? term) => term is { } t ? t.ToString(CultureInfo.InvariantCulture) : "–";

    private static string Ms(long micros, long count) => count == 0 ? "–" : Numbers.Ms(micros / 1000.0);

    private static string Errors(IReadOnlyDictionary<string, long> errors)
        => errors.Count == 0 ? "0" : string.Join("; ", errors.Select(e => string.Create(CultureInfo.InvariantCulture, $"{e.Key} ×{e.Value}")));
}
