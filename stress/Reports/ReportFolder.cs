using System.Text.Json;
using Coord.Stress.Processes;

namespace Coord.Stress.Reports;

/// <summary>Writes a run's reports into <c>&lt;root&gt;/&lt;timestamp&gt;/</c>: report.md, report.html, locks.csv, semaphores.csv, ids.csv, report.json.</summary>
public static class ReportFolder
{
    /// <summary>Default root: <c>stress/reports</c> when run from the repository root, else <c>stress-reports</c>.</summary>
    public static string DefaultRoot => Directory.Exists("stress") ? Path.Combine("stress", "reports") : "stress-reports";

    public static async Task<string> WriteAsync(RunReport report, string root, CancellationToken cancellationToken)
    {
        var folder = Path.Combine(root, report.StartedUtc.ToString("yyyyMMdd-HHmmss", System.Globalization.CultureInfo.InvariantCulture) + "-" + report.RunId);
        Directory.CreateDirectory(folder);
        await File.WriteAllTextAsync(Path.Combine(folder, "report.md"), MarkdownReport.Render(report), cancellationToken).ConfigureAwait(false);
        await File.WriteAllTextAsync(Path.Combine(folder, "report.html"), HtmlReport.Render(report), cancellationToken).ConfigureAwait(false);
        if (report.Locks.Count > 0)
            await File.WriteAllTextAsync(Path.Combine(folder, "locks.csv"), CsvReport.RenderLocks(report), cancellationToken).ConfigureAwait(false);
        if (report.Semaphores.Count > 0)
            await File.WriteAllTextAsync(Path.Combine(folder, "semaphores.csv"), CsvReport.RenderSemaphores(report), cancellationToken).ConfigureAwait(false);
        if (report.Ids.Count > 0)
            await File.WriteAllTextAsync(Path.Combine(folder, "ids.csv"), CsvReport.RenderIds(report), cancellationToken).ConfigureAwait(false);
        await File.WriteAllTextAsync(Path.Combine(folder, "report.json"), JsonSerializer.Serialize(report, StressJson.Options), cancellationToken).ConfigureAwait(false);
        return folder;
    }
}
