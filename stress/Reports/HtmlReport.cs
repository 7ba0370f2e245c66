using System.Net;
using System.Text;
using Coord.Stress.Engine;

namespace Coord.Stress.Reports;

/// <summary>
/// One self-contained HTML page: charts as inline SVG and the Markdown tables rendered as HTML tables;
/// no scripts, stylesheets or fonts from the network.
/// </summary>
public static class HtmlReport
{
    public static string Render(RunReport report)
    {
        var html = new StringBuilder();
        html.AppendLine("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">");
        html.AppendLine($"<title>Coord stress run {Encode(report.RunId)}</title>");
        html.AppendLine("<style>body{font-family:sans-serif;margin:2em;max-width:1400px}table{border-collapse:collapse;margin:1em 0;font-size:13px}" +
                        "th,td{border:1px solid #ccc;padding:3px 6px;text-align:right}th:first-child,td:first-child{text-align:left}" +
                        "th{background:#f0f0f0}.bad{color:#b00;font-weight:bold}.legend span{display:inline-block;width:12px;height:12px;margin:0 4px 0 12px}</style></head><body>");
        html.AppendLine($"<h1>Coord stress run {Encode(report.RunId)}</h1>");
        html.AppendLine($"<p>Started {report.StartedUtc:u}, {Numbers.Plain(report.ElapsedSeconds)} s. {Encode(report.Machine)}.<br>Command: <code>{Encode(report.CommandLine)}</code></p>");
        if (report.Servers.Count > 0)
            html.AppendLine("<p>Servers: " + Encode(string.Join("; ", report.Servers)) + "</p>");
        html.AppendLine(report.Violations == 0
            ? "<p>Violations: 0.</p>"
            : $"<p class=\"bad\">Violations: {report.Violations} (exit code {report.ExitCode}).</p>");
        html.AppendLine("<p>Numbers from a shared 2-core machine are indicative; compare within one run.</p>");
        html.AppendLine("<p class=\"legend\"><span style=\"background:#2b6cb0\"></span>Coord<span style=\"background:#d9822b\"></span>peer library</p>");

        foreach (var section in report.Sections)
        {
            var rows = Comparison.Rows(section.Scenarios);
            if (rows.Count == 0)
                continue;
            html.AppendLine($"<h2>{Encode(section.Title)}: side by side</h2>");
            html.AppendLine(SvgBarChart.Render("Uncontended: acquire + release per second (1 client)", Bars(rows, r => r.UncontendedOpsPerSecond), v => Numbers.Rate(v)));
            html.AppendLine(SvgBarChart.Render($"Contended: acquisitions per second ({rows.Max(r => r.ContendedClients)} clients, 1 name)", Bars(rows, r => r.ContendedAcquisitionsPerSecond), v => Numbers.Rate(v)));
            html.AppendLine(SvgBarChart.Render("Contended: wait p99.9 (ms, lower is better)", Bars(rows, r => r.ContendedWaitP999Ms), v => Numbers.Ms(v)));
            html.AppendLine(SvgBarChart.Render("Contended: longest wait (ms, lower is better)", Bars(rows, r => r.ContendedWaitMaxMs), v => Numbers.Ms(v)));
            html.AppendLine(SvgBarChart.Render("Contended: Jain's fairness index over clients (1 = equal shares)", Bars(rows, r => r.ContendedJain), v => Numbers.Index(v)));
            html.AppendLine(SvgBarChart.Render("Contended: Redis commands per acquisition (server INFO)", Bars(rows, r => r.ContendedRedisCommandsPerAcquisition), v => Numbers.Per(v)));
        }
        var pauses = report.Locks.Where(s => s.Fault == FaultMode.PauseHolder && s.FaultOutcome.Count > 0).ToList();
        if (pauses.Count > 0)
        {
            html.AppendLine("<h2>Paused holder</h2>");
            html.AppendLine(SvgBarChart.Render("Stale writes that landed on the resource (lower is better)",
                pauses.Select(s => (s.Scenario, s.FaultOutcome.GetValueOrDefault("stale writes landed"), !s.SupportsFencing)).ToList(), Numbers.Plain));
            html.AppendLine(SvgBarChart.Render("Stale writes stopped by the fencing-token check",
                pauses.Select(s => (s.Scenario, s.FaultOutcome.GetValueOrDefault("stale writes stopped by fencing"), !s.SupportsFencing)).ToList(), Numbers.Plain));
        }
        if (report.Ids.Count > 0)
        {
            html.AppendLine("<h2>ID generators</h2>");
            html.AppendLine(SvgBarChart.Render("IDs per second", report.Ids.Select(i => ($"{i.Generator} × {i.Threads} threads", i.IdsPerSecond, false)).ToList(), v => Numbers.Rate(v)));
        }

        html.AppendLine("<h2>Tables</h2>");
        html.AppendLine(MarkdownTablesToHtml(MarkdownReport.Render(report)));
        html.AppendLine("</body></html>");
        return html.ToString();
    }

    private static List<(string, double, bool)> Bars(IEnumerable<ComparisonRow> rows, Func<ComparisonRow, double?> value)
        => rows.Where(r => value(r) is not null).Select(r => ($"{r.Label} ({r.Library})", value(r)!.Value, r.IsPeer)).ToList();

    private static string Encode(string text) => WebUtility.HtmlEncode(text);

    /// <summary>Renders the Markdown report's headings, tables and lists; that is all it contains.</summary>
    private static string MarkdownTablesToHtml(string markdown)
    {
        var html = new StringBuilder();
        var inTable = false;
        var inList = false;
        foreach (var raw in markdown.Split('\n'))
        {
            var line = raw.TrimEnd('\r');
            if (line.StartsWith('|'))
            {
                var cells = line.Trim('|').Split('|').Select(c => c.Trim()).ToArray();
                if (cells.All(c => c.Length > 0 && c.All(ch => ch is '-' or ':')))
                    continue;
                if (!inTable)
                {
                    html.Append("<table><tr>").Append(string.Concat(cells.Select(c => $"<th>{Inline(c)}</th>"))).AppendLine("</tr>");
                    inTable = true;
                    continue;
                }
                html.Append("<tr>").Append(string.Concat(cells.Select(c => $"<td>{Inline(c)}</td>"))).AppendLine("</tr>");
                continue;
            }
            if (inTable)
            {
                html.AppendLine("</table>");
                inTable = false;
            }
            if (line.StartsWith("- ", StringComparison.Ordinal))
            {
                if (!inList)
                    html.AppendLine("<ul>");
                inList = true;
                html.AppendLine($"<li>{Inline(line[2..])}</li>");
                continue;
            }
            if (inList)
            {
                html.AppendLine("</ul>");
                inList = false;
            }
            if (line.StartsWith("### ", StringComparison.Ordinal))
                html.AppendLine($"<h4>{Inline(line[4..])}</h4>");
            else if (line.StartsWith("## ", StringComparison.Ordinal))
                html.AppendLine($"<h3>{Inline(line[3..])}</h3>");
            else if (line.StartsWith("# ", StringComparison.Ordinal))
                continue;
            else if (line.Length > 0)
                html.AppendLine($"<p>{Inline(line)}</p>");
        }
        if (inTable)
            html.AppendLine("</table>");
        if (inList)
            html.AppendLine("</ul>");
        return html.ToString();
    }

    private static string Inline(string text)
    {
        var encoded = Encode(text);
        encoded = System.Text.RegularExpressions.Regex.Replace(encoded, @"\*\*(.+?)\*\*", "<b>$1</b>");
        return System.Text.RegularExpressions.Regex.Replace(encoded, "`(.+?)`", "<code>$1</code>");
    }
}
