using System.Diagnostics;
using System.Globalization;

namespace Coord.Ids.Tests;

/// <summary>
/// SIGSTOPs a process and all its descendants until disposed (SIGCONT). PostgreSQL serves each
/// connection from a child process, so pausing only the postmaster leaves open connections working.
/// </summary>
internal sealed class FrozenProcessTree : IDisposable
{
    private readonly List<int> _pids;
    private int _thawed;

    private FrozenProcessTree(List<int> pids) => _pids = pids;

    public static FrozenProcessTree Freeze(int rootPid)
    {
        var pids = new List<int> { rootPid };
        for (var i = 0; i < pids.Count; i++)
            pids.AddRange(ChildrenOf(pids[i]));
        Signal("STOP", pids);
        return new FrozenProcessTree(pids);
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _thawed, 1) == 0)
            Signal("CONT", _pids);
    }

    private static IEnumerable<int> ChildrenOf(int pid)
    {
        foreach (var task in Directory.EnumerateDirectories($"/proc/{pid}/task"))
        {
            var children = Path.Combine(task, "children");
            if (!File.Exists(children))
                continue;
            foreach (var child in File.ReadAllText(children).Split(' ', StringSplitOptions.RemoveEmptyEntries))
                yield return int.Parse(child, CultureInfo.InvariantCulture);
        }
    }

    private static void Signal(string signal, IEnumerable<int> pids)
    {
        var start = new ProcessStartInfo("kill") { UseShellExecute = false };
        start.ArgumentList.Add("-" + signal);
        foreach (var pid in pids)
            start.ArgumentList.Add(pid.ToString(CultureInfo.InvariantCulture));
        using var kill = Process.Start(start)!;
        kill.WaitForExit();
    }
}
