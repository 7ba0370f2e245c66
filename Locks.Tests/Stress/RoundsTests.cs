using Coord.Stress.Cli;
using Coord.Stress.Engine;
using Coord.Stress.Reports;

namespace Coord.Locks.Tests.Stress;

/// <summary><c>--rounds</c>: the matrix run N times over, and the side-by-side view taking each target's median pass.</summary>
public sealed class RoundsTests
{
    [Fact]
    public void Three_rounds_run_the_whole_matrix_three_times_one_pass_after_another_with_the_faults_once()
    {
        var options = new LocksOptions { Backends = ["redis", "dlock-redis"], Clients = [1, 32], Rounds = 3, Faults = [FaultMode.KillHolder] };

        var scenarios = LockPlanBuilder.Build(options);
        var matrix = scenarios.Where(s => s.Fault == FaultMode.None).Select(s => s.Name).ToList();

        Assert.Equal(
        [
            "redis-c1-n1-r1", "redis-c32-n1-r1", "dlock-redis-c1-n1-r1", "dlock-redis-c32-n1-r1",
            "redis-c1-n1-r2", "redis-c32-n1-r2", "dlock-redis-c1-n1-r2", "dlock-redis-c32-n1-r2",
            "redis-c1-n1-r3", "redis-c32-n1-r3", "dlock-redis-c1-n1-r3", "dlock-redis-c32-n1-r3",
        ], matrix);
        Assert.Equal(2, scenarios.Count(s => s.Fault == FaultMode.KillHolder));
        Assert.Equal(scenarios.Count, scenarios.Select(s => s.Name).Distinct().Count());
    }

    [Fact]
    public void One_round_keeps_the_plain_labels_and_rounds_run_from_1_to_20()
    {
        Assert.Equal(["redis-c1-n1"], LockPlanBuilder.Build(new LocksOptions { Backends = ["redis"], Clients = [1] }).Select(s => s.Name));
        Assert.Equal(20, LockPlanBuilder.Build(new LocksOptions { Backends = ["redis"], Clients = [1], Rounds = 20 }).Count);
        foreach (var rounds in new[] { 0, 21, -1, int.MaxValue })
            Assert.Contains("--rounds must be 1 to 20", Assert.Throws<ArgumentException>(() => LockPlanBuilder.Build(new LocksOptions { Backends = ["redis"], Rounds = rounds })).Message);
    }

    [Fact]
    public void Side_by_side_takes_each_targets_median_pass_whole_and_says_how_many_passes()
    {
        LockScenarioStats Pass(string target, int clients, int round, long acquisitions, long errors = 0) => new()
        {
            Scenario = $"{target}-c{clients}-n1-r{round}", Target = target, Library = target, Clients = clients, Names = 1, Processes = 1,
            ElapsedSeconds = 1, Acquisitions = acquisitions, Errors = errors > 0 ? new() { ["x"] = errors } : [],
        };
        LockScenarioStats[] all =
        [
            Pass("redis", 1, 1, 900), Pass("redis", 32, 1, 5000),
            Pass("redis", 1, 2, 100, errors: 1), Pass("redis", 32, 2, 7000),
            Pass("redis", 1, 3, 500), Pass("redis", 32, 3, 6000),
        ];

        var row = Assert.Single(Comparison.Rows(all));

        Assert.Equal(500, row.UncontendedOpsPerSecond);
        Assert.Equal(6000, row.ContendedAcquisitionsPerSecond);
        Assert.Equal(1, row.Errors);
        Assert.Equal(" — median of 3 passes", Comparison.PassesNote(all));
        Assert.Equal("", Comparison.PassesNote(all.Where(s => s.Scenario.EndsWith("-r1", StringComparison.Ordinal))));
        Assert.Same(all[3], Comparison.MedianPass([all[1], all[3]]));
        Assert.Null(Comparison.MedianPass([]));
    }
}
