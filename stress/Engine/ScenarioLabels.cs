namespace Coord.Stress.Engine;

/// <summary>Scenario names that say what ran, e.g. <c>redis-c32-n1</c>, <c>redlock-c8-n1-kill-server</c> or (a semaphore of 4 permits) <c>redis-k4-c32-n1</c>.</summary>
public static class ScenarioLabels
{
    public static string For(string target, int clients, int names, int processes, FaultMode fault, bool? fencedChecks = null, int? permits = null)
    {
        var label = permits is { } k ? $"{target}-k{k}-c{clients}-n{names}" : $"{target}-c{clients}-n{names}";
        if (processes > 1)
            label += $"-p{processes}";
        label += fault switch
        {
            FaultMode.KillHolder => "-kill-holder",
            FaultMode.KillServer => "-kill-server",
            FaultMode.PauseHolder => fencedChecks == false ? "-pause-unchecked" : "-pause-fenced",
            _ => "",
        };
        return label;
    }
}
