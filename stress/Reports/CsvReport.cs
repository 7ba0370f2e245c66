using System.Globalization;
using System.Text;

namespace Coord.Stress.Reports;

/// <summary>One row per scenario, for spreadsheets and scripts.</summary>
public static class CsvReport
{
    public static string RenderLocks(RunReport report) => RenderScenarios(report.Locks);

    public static string RenderSemaphores(RunReport report) => RenderScenarios(report.Semaphores);

    /// <summary>
    /// One row per lock or semaphore scenario. <c>permits</c> is empty for a lock; <c>overlaps</c> counts entries
    /// beyond what a name admits (a second lock holder, a semaphore's N+1st); <c>peak_in_use</c> is the most holders of one name at once.
    /// </summary>
    private static string RenderScenarios(IEnumerable<Engine.LockScenarioStats> scenarios)
    {
        var csv = new StringBuilder();
        csv.AppendLine("scenario,target,library,is_peer,clients,names,processes,hold_ms,ttl_ms,fault,elapsed_s,acquisitions,acquisitions_per_s,wait_p50_ms,wait_p90_ms,wait_p99_ms,wait_p999_ms,wait_max_ms,handoffs,handoff_p50_ms,handoff_p99_ms,jain,client_requests,requests_per_acquisition,redis_commands,redis_commands_per_acquisition,postgres_commits,postgres_commits_per_acquisition,errors,overlaps,fences_out_of_order,permits,peak_in_use");
        foreach (var s in scenarios)
        {
            var w = s.Wait;
            var h = s.Handoff;
            csv.AppendLine(string.Join(',',
                Quote(s.Scenario), Quote(s.Target), Quote(s.Library), s.IsPeer ? "true" : "false",
                Int(s.Clients), Int(s.Names), Int(s.Processes), Numbers.Csv(s.HoldMs), Numbers.Csv(s.TtlMs), Quote(s.Fault.ToString()), Numbers.Csv(s.ElapsedSeconds),
                Int(s.Acquisitions), Numbers.Csv(s.AcquisitionsPerSecond),
                Numbers.Csv(w.P50Us / 1000.0), Numbers.Csv(w.P90Us / 1000.0), Numbers.Csv(w.P99Us / 1000.0), Numbers.Csv(w.P999Us / 1000.0), Numbers.Csv(w.MaxUs / 1000.0),
                Int(h.Count), Numbers.Csv(h.P50Us / 1000.0), Numbers.Csv(h.P99Us / 1000.0), Numbers.Csv(s.JainIndex),
                Int(s.ClientRequests.Values.Sum()), Numbers.Csv(s.RequestsPerAcquisition),
                Int(s.ServerRequests.GetValueOrDefault(Comparison.RedisCommands)), Numbers.Csv(s.ServerPerAcquisition(Comparison.RedisCommands)),
                Int(s.ServerRequests.GetValueOrDefault(Comparison.PostgresCommits)), Numbers.Csv(s.ServerPerAcquisition(Comparison.PostgresCommits)),
                Int(s.ErrorCount), Int(s.OverlapViolations), Int(s.FenceViolations), s.Permits is { } permits ? Int(permits) : "", Int(s.PeakInUse)));
        }
        return csv.ToString();
    }

    public static string RenderIds(RunReport report)
    {
        var csv = new StringBuilder();
        csv.AppendLine("generator,threads,ids,elapsed_s,ids_per_s,checked,duplicates,errors");
        foreach (var i in report.Ids)
            csv.AppendLine(string.Join(',', Quote(i.Generator), Int(i.Threads), Int(i.Ids), Numbers.Csv(i.ElapsedSeconds), Numbers.Csv(i.IdsPerSecond), Int(i.Checked), Int(i.Duplicates), Int(i.Errors.Values.Sum())));
        return csv.ToString();
    }

    private static string Int(long v) => v.ToString(CultureInfo.InvariantCulture);
    private static string Quote(string s) => s.Contains(',') || s.Contains('"') ? "\"" + s.Replace("\"", "\"\"") + "\"" : s;
}
