using System.Text;
using Coord.Stress.Engine;

namespace Coord.Stress.Reports;

/// <summary>The run as Markdown: the comparison, the ratios, every scenario's stats, faults and IDs.</summary>
public static class MarkdownReport
{
    public static string Render(RunReport report)
    {
        var md = new StringBuilder();
        md.AppendLine($"# Coord stress run {report.RunId}").AppendLine();
        md.AppendLine($"- started {report.StartedUtc:u}, {Numbers.Plain(report.ElapsedSeconds)} s; {report.Machine}");
        md.AppendLine($"- command: `{report.CommandLine}`");
        foreach (var server in report.Servers)
            md.AppendLine($"- server: {server}");
        md.AppendLine($"- violations: **{report.Violations}** (exit code {report.ExitCode})").AppendLine();
        md.AppendLine("Numbers from a shared 2-core machine are indicative; compare rows of one run, not runs.").AppendLine();

        foreach (var section in report.Sections)
            AppendSection(md, section);

        if (report.Ids.Count > 0)
        {
            md.AppendLine("## ID generators").AppendLine();
            md.AppendLine("| generator | threads | IDs | IDs/s | checked | duplicates | errors | notes |");
            md.AppendLine("|---|--:|--:|--:|--:|--:|---|---|");
            foreach (var i in report.Ids)
                md.AppendLine($"| {i.Generator} | {i.Threads} | {i.Ids} | {Numbers.Rate(i.IdsPerSecond)} | {i.Checked} | {i.Duplicates} | {string.Join(", ", i.Errors.Select(kv => $"{kv.Key}: {kv.Value}"))} | {string.Join("; ", i.Notes)} |");
            md.AppendLine();
        }
        return md.ToString();
    }

    private static void AppendSection(StringBuilder md, ReportSection section)
    {
        var rows = Comparison.Rows(section.Scenarios);
        if (rows.Count > 0)
        {
            md.AppendLine($"## {section.Title}: side by side (1 name){Comparison.PassesNote(section.Scenarios)}").AppendLine();
            md.AppendLine("| target | library | uncontended ops/s | contended acq/s | clients | wait p99.9 ms | wait max ms | hand-off p50 ms | Jain | requests/acq (client) | Redis cmds/acq | other server counts/acq | violations | errors |");
            md.AppendLine("|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|---|--:|--:|");
            foreach (var r in rows)
                md.AppendLine($"| {r.Label} | {r.Library} | {Numbers.Rate(r.UncontendedOpsPerSecond)} | {Numbers.Rate(r.ContendedAcquisitionsPerSecond)} | {r.ContendedClients} | {Numbers.Ms(r.ContendedWaitP999Ms)} | {Numbers.Ms(r.ContendedWaitMaxMs)} | {Numbers.Ms(r.ContendedHandoffP50Ms)} | {Numbers.Index(r.ContendedJain)} | {Numbers.Per(r.ContendedRequestsPerAcquisition)} | {Numbers.Per(r.ContendedRedisCommandsPerAcquisition)} | {r.ContendedOtherServerPerAcquisition} | {r.Violations} | {r.Errors} |");
            md.AppendLine();
            md.AppendLine((section.IsSemaphore ? "A semaphore target is shown with its permits per name (×N). " : "") +
                          "Uncontended: 1 client; contended: the most clients on 1 name. requests/acq: requests the library counted itself (Coord providers only). " +
                          "Redis cmds/acq: the server's INFO total_commands_processed delta per acquisition, acquire and release included; commands run inside Lua scripts count too. " +
                          "Other server counts: PostgreSQL pg_stat_database xact_commit, etcd grpc_server_msg_received_total, ZooKeeper mntr zk_packets_received.").AppendLine();
            var ratios = Comparison.Ratios(rows, section.Pairs);
            if (ratios.Count > 0)
            {
                md.AppendLine("| ratio | uncontended ops/s | contended acq/s | contended wait p99.9 (lower is better) | contended wait max (lower is better) |");
                md.AppendLine("|---|--:|--:|--:|--:|");
                foreach (var ratio in ratios)
                    md.AppendLine($"| {ratio.Label} | {Numbers.Ratio(ratio.Uncontended, ratio.UncontendedByPass)} | {Numbers.Ratio(ratio.Contended, ratio.ContendedByPass)} | {Numbers.Ratio(ratio.WaitP999)} | {Numbers.Ratio(ratio.WaitMax)} |");
                md.AppendLine();
            }
        }

        md.AppendLine($"## {section.Title}: scenarios").AppendLine();
        md.AppendLine($"| scenario | load simulation | hold ms | ttl ms | acquisitions | acq/s | wait p50 | p90 | p99 | p99.9 | max ms | hand-offs | hand-off p50 ms | Jain | client CPU µs/acq | client KB/acq | requests/acq | server counts | errors | peak in use | {section.OverlapColumn} | fences out of order |");
        md.AppendLine("|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|---|---|--:|--:|--:|");
        foreach (var s in section.Scenarios)
        {
            var w = s.Wait;
            var server = string.Join(", ", s.ServerRequests.Select(kv => $"{kv.Key} {kv.Value} ({Numbers.Per(s.ServerPerAcquisition(kv.Key))}/acq)"));
            var errors = string.Join(", ", s.Errors.Select(kv => $"{kv.Key}: {kv.Value}"));
            md.AppendLine($"| {s.Scenario} | {s.LoadSimulation} | {Numbers.Plain(s.HoldMs)} | {Numbers.Plain(s.TtlMs)} | {s.Acquisitions} | {Numbers.Rate(s.AcquisitionsPerSecond)} | {Numbers.Ms(w.P50Us / 1000.0)} | {Numbers.Ms(w.P90Us / 1000.0)} | {Numbers.Ms(w.P99Us / 1000.0)} | {Numbers.Ms(w.P999Us / 1000.0)} | {Numbers.Ms(w.MaxUs / 1000.0)} | {s.Handoff.Count} | {Numbers.Ms(s.Handoff.Count > 0 ? s.Handoff.P50Us / 1000.0 : null)} | {Numbers.Index(s.JainIndex)} | {Numbers.Rate(s.ClientCpuUsPerAcquisition)} | {Numbers.Rate(s.ClientKilobytesPerAcquisition)} | {Numbers.Per(s.RequestsPerAcquisition)} | {server} | {errors} | {Numbers.InUse(s)} | {s.OverlapViolations} | {s.FenceViolations} |");
        }
        md.AppendLine();
        if (section.IsSemaphore)
            md.AppendLine("peak in use: most holders of one name seen at once, over the permits (a saturated semaphore shows N/N). over capacity: acquisitions that returned while N holders of the name were already inside, " +
                          "from the recorded hold intervals (acquire returned → release sent); must be 0. fences out of order: a permit asked for after another had been granted carrying a lower or equal token, or one token granted twice.").AppendLine();
        var withDetails = section.Scenarios.Where(s => s.FaultOutcome.Count > 0 || s.Notes.Count > 0 || s.ClientRequests.Count > 0).ToList();
        if (withDetails.Count > 0)
        {
            md.AppendLine("### Details").AppendLine();
            foreach (var s in withDetails)
            {
                md.Append($"- **{s.Scenario}**");
                if (s.ClientRequests.Count > 0)
                    md.Append(" — client requests: " + string.Join(", ", s.ClientRequests.OrderBy(kv => kv.Key).Select(kv => $"{kv.Key} {kv.Value}")));
                if (s.FaultOutcome.Count > 0)
                    md.Append(" — fault: " + string.Join(", ", s.FaultOutcome.Select(kv => $"{kv.Key} {Numbers.Plain(kv.Value)}")));
                foreach (var note in s.Notes)
                    md.Append($" — {note}");
                md.AppendLine();
            }
            md.AppendLine();
        }
        var pauses = section.Scenarios.Where(s => s.Fault == FaultMode.PauseHolder && s.FaultOutcome.Count > 0).ToList();
        if (pauses.Count > 0)
        {
            md.AppendLine("## Paused holder: stale writes").AppendLine();
            md.AppendLine("| scenario | pauses | stale writes attempted | stopped by fencing | landed |");
            md.AppendLine("|---|--:|--:|--:|--:|");
            foreach (var s in pauses)
                md.AppendLine($"| {s.Scenario} | {Numbers.Plain(s.FaultOutcome.GetValueOrDefault("pauses"))} | {Numbers.Plain(s.FaultOutcome.GetValueOrDefault("stale writes attempted"))} | {Numbers.Plain(s.FaultOutcome.GetValueOrDefault("stale writes stopped by fencing"))} | {Numbers.Plain(s.FaultOutcome.GetValueOrDefault("stale writes landed"))} |");
            md.AppendLine();
        }
    }
}
