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
        text.AppendLine("| target | library | candidates | elections/s | campaign wait p50 ms | p99.9 ms | max ms | Jain | terms | two leaders at once | terms not rising | errors |");
        text.AppendLine("|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|");
        foreach (var e in runs)
        {
            text.AppendLine(CultureInfo.InvariantCulture,
                $"| {e.Target} | {e.Library} | {e.Candidates} | {Numbers.Rate(e.TurnoversPerSecond)} | {Ms(e.CampaignWait.P50Us, e.Turnovers)} | {Ms(e.CampaignWait.P999Us, e.Turnovers)} | {Ms(e.CampaignWait.MaxUs, e.Turnovers)} | {Numbers.Index(e.Jain)} | {e.FirstTerm}…{e.LastTerm} | {e.Overlaps} | {e.TermsNotRising} | {Errors(e.Errors)} |");
        }
        text.AppendLine().AppendLine("Curator's LeaderLatch has no term: its \"terms\" are the driver's count of the leaderships it saw, so only its overlap check means anything.");
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

    private static string Ms(long micros, long count) => count == 0 ? "–" : Numbers.Ms(micros / 1000.0);

    private static string Errors(IReadOnlyDictionary<string, long> errors)
        => errors.Count == 0 ? "0" : string.Join("; ", errors.Select(e => string.Create(CultureInfo.InvariantCulture, $"{e.Key} ×{e.Value}")));
}
