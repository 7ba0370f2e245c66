using Spectre.Console;

namespace Coord.Stress.Reports;

/// <summary>The final tables on the console.</summary>
public static class ConsoleReport
{
    public static void Write(RunReport report, string? folder)
    {
        foreach (var section in report.Sections)
            WriteSection(section);

        if (report.Ids.Count > 0)
        {
            var table = new Table().Title("ID generators").Border(TableBorder.Rounded);
            foreach (var column in new[] { "generator", "threads", "IDs", "IDs/s", "checked", "duplicates", "errors" })
                table.AddColumn(new TableColumn(column).RightAligned());
            foreach (var i in report.Ids)
                table.AddRow(Markup.Escape(i.Generator), i.Threads.ToString(System.Globalization.CultureInfo.InvariantCulture), i.Ids.ToString(System.Globalization.CultureInfo.InvariantCulture),
                    Numbers.Rate(i.IdsPerSecond), i.Checked.ToString(System.Globalization.CultureInfo.InvariantCulture),
                    i.Duplicates == 0 ? "0" : $"[red]{i.Duplicates}[/]", i.Errors.Values.Sum().ToString(System.Globalization.CultureInfo.InvariantCulture));
            AnsiConsole.Write(table);
        }

        AnsiConsole.MarkupLine(report.Violations == 0 ? "[green]No violations.[/]" : $"[red]{report.Violations} violation(s): exit code {report.ExitCode}.[/]");
        if (folder is not null)
            AnsiConsole.MarkupLine($"Reports: [link]{Markup.Escape(Path.GetFullPath(folder))}[/]");
    }

    private static void WriteSection(ReportSection section)
    {
        var rows = Comparison.Rows(section.Scenarios);
        if (rows.Count > 0)
        {
            var table = new Table().Title($"{section.Title}: side by side (1 name){Comparison.PassesNote(section.Scenarios)}").Border(TableBorder.Rounded);
            foreach (var column in new[] { "target", "library", "uncontended ops/s", "contended acq/s", "clients", "wait p99.9 ms", "wait max ms", "Jain", "req/acq", "Redis cmds/acq", "other server/acq", "violations", "errors" })
                table.AddColumn(new TableColumn(column).RightAligned());
            foreach (var r in rows)
                table.AddRow(Markup.Escape(r.Label), Markup.Escape(r.Library), Numbers.Rate(r.UncontendedOpsPerSecond), Numbers.Rate(r.ContendedAcquisitionsPerSecond), r.ContendedClients.ToString(System.Globalization.CultureInfo.InvariantCulture),
                    Numbers.Ms(r.ContendedWaitP999Ms), Numbers.Ms(r.ContendedWaitMaxMs), Numbers.Index(r.ContendedJain), Numbers.Per(r.ContendedRequestsPerAcquisition),
                    Numbers.Per(r.ContendedRedisCommandsPerAcquisition), Markup.Escape(r.ContendedOtherServerPerAcquisition),
                    r.Violations == 0 ? "0" : $"[red]{r.Violations}[/]", r.Errors.ToString(System.Globalization.CultureInfo.InvariantCulture));
            AnsiConsole.Write(table);
            foreach (var ratio in Comparison.Ratios(rows, section.Pairs))
                AnsiConsole.MarkupLine(Markup.Escape($"{ratio.Label}: uncontended {Numbers.Ratio(ratio.Uncontended, ratio.UncontendedByPass)}, contended {Numbers.Ratio(ratio.Contended, ratio.ContendedByPass)}, wait p99.9 {Numbers.Ratio(ratio.WaitP999)}, wait max {Numbers.Ratio(ratio.WaitMax)}"));
        }

        var scenarios = new Table().Title($"{section.Title}: scenarios").Border(TableBorder.Rounded);
        foreach (var column in new[] { "scenario", "acq", "acq/s", "wait p50 ms", "p99 ms", "p99.9 ms", "max ms", "hand-off p50 ms", "Jain", "req/acq", "client CPU µs/acq", "client KB/acq", "peak in use", "errors", "violations", "fault / notes" })
            scenarios.AddColumn(new TableColumn(column).RightAligned());
        foreach (var s in section.Scenarios)
        {
            var w = s.Wait;
            var fault = string.Join("; ", s.FaultOutcome.Select(kv => $"{kv.Key} {Numbers.Plain(kv.Value)}").Concat(s.Notes.Where(n => n.StartsWith("skipped", StringComparison.Ordinal))));
            scenarios.AddRow(Markup.Escape(s.Scenario), s.Acquisitions.ToString(System.Globalization.CultureInfo.InvariantCulture), Numbers.Rate(s.AcquisitionsPerSecond),
                Numbers.Ms(w.P50Us / 1000.0), Numbers.Ms(w.P99Us / 1000.0), Numbers.Ms(w.P999Us / 1000.0), Numbers.Ms(w.MaxUs / 1000.0),
                Numbers.Ms(s.Handoff.Count > 0 ? s.Handoff.P50Us / 1000.0 : null), Numbers.Index(s.JainIndex), Numbers.Per(s.RequestsPerAcquisition), Numbers.Rate(s.ClientCpuUsPerAcquisition), Numbers.Rate(s.ClientKilobytesPerAcquisition),
                Numbers.InUse(s), s.ErrorCount.ToString(System.Globalization.CultureInfo.InvariantCulture),
                s.Violations == 0 ? "0" : $"[red]{s.Violations}[/]", Markup.Escape(fault));
        }
        AnsiConsole.Write(scenarios);
    }
}
