using Coord.Stress.Engine;
using Coord.Stress.Reports;

namespace Coord.Locks.Tests.Stress;

/// <summary>The side-by-side view: rows per target and number of processes, and ratios only between like runs.</summary>
public sealed class ComparisonTests
{
    private static LockScenarioStats Scenario(string target, int clients, int processes, long acquisitions, long waitMaxUs, bool isPeer = false) => new()
    {
        Scenario = $"{target}-c{clients}-n1{(processes > 1 ? $"-p{processes}" : "")}", Target = target, Library = isPeer ? $"{target} library" : "Coord",
        IsPeer = isPeer, Clients = clients, Names = 1, Processes = processes, ElapsedSeconds = 1, Acquisitions = acquisitions,
        Steps = new() { ["acquire"] = new LatencyStats { Count = acquisitions, P999Us = waitMaxUs / 2, MaxUs = waitMaxUs } },
    };

    [Fact]
    public void A_multi_process_run_gets_rows_of_its_own_and_is_compared_only_with_the_peer_in_as_many_processes()
    {
        LockScenarioStats[] all =
        [
            Scenario("redis", 1, 1, 8000, 2_000), Scenario("redis", 32, 1, 7000, 20_000),
            Scenario("dlock-redis", 1, 1, 7000, 4_000, isPeer: true), Scenario("dlock-redis", 32, 1, 7000, 3_000_000, isPeer: true),
            Scenario("redis", 32, 4, 4000, 100_000),
            Scenario("dlock-redis", 32, 4, 5000, 2_000_000, isPeer: true),
        ];

        var rows = Comparison.Rows(all);

        Assert.Equal(["redis", "dlock-redis", "redis in 4 processes", "dlock-redis in 4 processes"], rows.Select(r => r.Label));
        var inProcesses = rows.Single(r => r is { Target: "redis", Processes: 4 });
        Assert.Null(inProcesses.UncontendedOpsPerSecond);
        Assert.Equal(4000, inProcesses.ContendedAcquisitionsPerSecond);

        var ratios = Comparison.Ratios(rows, [("redis", "dlock-redis")]);
        Assert.Equal(2, ratios.Count);
        var single = ratios[0];
        Assert.Equal("Coord redis / dlock-redis library", single.Label);
        Assert.Equal(8000.0 / 7000, single.Uncontended);
        Assert.Equal(1.0, single.Contended);
        Assert.Equal(20.0 / 3000, single.WaitMax);
        var multi = ratios[1];
        Assert.Equal("Coord redis / dlock-redis library, 4 processes", multi.Label);
        Assert.Null(multi.Uncontended);
        Assert.Equal(0.8, multi.Contended);
        Assert.Equal(100.0 / 2000, multi.WaitMax);
    }

    [Fact]
    public void Ratios_give_the_median_passes_and_the_ratio_within_each_pass_in_pass_order()
    {
        LockScenarioStats Pass(string target, int clients, int round, long acquisitions, bool isPeer = false)
            => Scenario(target, clients, 1, acquisitions, 1_000, isPeer) with { Round = round, Scenario = $"{target}-c{clients}-n1-r{round}" };
        LockScenarioStats[] all =
        [
            Pass("redis", 1, 1, 800), Pass("redis", 32, 1, 600), Pass("dlock-redis", 1, 1, 1000, true), Pass("dlock-redis", 32, 1, 300, true),
            Pass("redis", 1, 2, 950), Pass("redis", 32, 2, 700), Pass("dlock-redis", 1, 2, 600, true), Pass("dlock-redis", 32, 2, 700, true),
            Pass("redis", 1, 3, 1000), Pass("redis", 32, 3, 800), Pass("dlock-redis", 1, 3, 800, true), Pass("dlock-redis", 32, 3, 400, true),
        ];

        var ratio = Assert.Single(Comparison.Ratios(Comparison.Rows(all), [("redis", "dlock-redis")]));

        Assert.Equal(950.0 / 800, ratio.Uncontended);
        Assert.Equal(700.0 / 400, ratio.Contended);
        Assert.Equal([800.0 / 1000, 950.0 / 600, 1000.0 / 800], ratio.UncontendedByPass);
        Assert.Equal([2.0, 1.0, 2.0], ratio.ContendedByPass);
        Assert.Equal("1.19× (passes 0.80, 1.58, 1.25)", Numbers.Ratio(ratio.Uncontended, ratio.UncontendedByPass));
        Assert.Equal("1.19×", Numbers.Ratio(ratio.Uncontended, [1.0]));
    }

    [Fact]
    public void A_ratio_far_below_one_keeps_its_digits_and_says_how_many_times_smaller()
    {
        Assert.Equal("0.0042× (1/237)", Numbers.Ratio(19.7 / 4665));
        Assert.Equal("0.10×", Numbers.Ratio(0.1));
        Assert.Equal("0.00×", Numbers.Ratio(0.0));
        Assert.Equal("–", Numbers.Ratio(null));
    }

    [Fact]
    public void Coord_zookeeper_is_compared_with_Curator()
    {
        LockScenarioStats[] all = [Scenario("zookeeper", 32, 1, 900, 70_000), Scenario("curator", 32, 1, 200, 350_000, isPeer: true)];

        var ratio = Assert.Single(Comparison.Ratios(Comparison.Rows(all), Comparison.Pairs));

        Assert.Equal(4.5, ratio.Contended);
        Assert.Equal(0.2, ratio.WaitMax);
    }

    [Fact]
    public void Scenarios_without_acquisitions_or_with_a_fault_or_on_many_names_stay_out_of_the_side_by_side_view()
    {
        LockScenarioStats[] all =
        [
            Scenario("redis", 1, 1, 0, 0),
            Scenario("redis", 32, 1, 7000, 20_000) with { Fault = FaultMode.KillHolder },
            Scenario("redis", 32, 1, 7000, 20_000) with { Names = 8 },
        ];

        Assert.Empty(Comparison.Rows(all));
        Assert.Equal("", Comparison.PassesNote(all));
    }
}
