using Coord.Locks.InMemory;
using Coord.Locks.Redis;
using Coord.Stress.Cli;
using Coord.Stress.Engine;
using Coord.Stress.Targets;

namespace Coord.Locks.Tests.Stress;

/// <summary>
/// The semaphore scenario of the stress runner: a correct semaphore under contention fills its N permits
/// and never more, and the capacity check catches one that admits an N+1st holder.
/// </summary>
public sealed class SemaphoreStressTests(StressServersFixture fixture) : IClassFixture<StressServersFixture>
{
    private const int Permits = 3;

    public static TheoryData<string> Targets() => new(SemaphoreTargetCatalog.Names);

    [Theory]
    [MemberData(nameof(Targets))]
    public async Task Every_semaphore_target_fills_its_permits_and_never_exceeds_them(string target)
    {
        // Holds long enough that even the slowest target (Curator, a few ms per grant) keeps all permits busy.
        var scenario = Scenario(target, clients: 8) with { Hold = TimeSpan.FromMilliseconds(20) };
        var results = await LockRun.RunAsync(new LockRunPlan { RunId = RunId(), Scenarios = [scenario] }, fixture.Servers, null, CancellationToken.None);
        var stats = Assert.Single(results);

        Assert.True(stats.Acquisitions > 0, $"{target}: no acquisitions");
        Assert.Equal(Permits, stats.Permits);
        Assert.Equal(Permits, stats.PeakInUse); // saturated, so an N+1st holder would have shown
        Assert.Equal(0, stats.OverlapViolations);
        Assert.Equal(0, stats.FenceViolations);
        Assert.Empty(stats.Errors);
        Assert.Equal(stats.Acquisitions, stats.AcquisitionsPerClient.Sum());
    }

    [Fact]
    public async Task Capacity_check_catches_an_in_memory_semaphore_that_over_admits()
    {
        var store = new InMemoryLockStore(TimeProvider.System);
        await AssertCaughtAsync(() => new InMemorySemaphore(new InMemoryLockOptions { Store = store }));
    }

    [Fact]
    public async Task Capacity_check_catches_a_redis_semaphore_that_over_admits()
    {
        var redis = await fixture.Servers.RedisAsync(CancellationToken.None);
        var prefix = $"stress:{RunId()}:";
        await AssertCaughtAsync(() => new RedisSemaphore(new RedisLockOptions { Configuration = redis, KeyPrefix = prefix }));
    }

    [Fact]
    public void Semaphore_plan_runs_each_backend_at_each_permit_count_and_rejects_what_it_cannot_run()
    {
        var scenarios = LockPlanBuilder.Build(new LocksOptions { Backends = ["redis", "dlock-redis-sem"], Permits = [1, 4], Clients = [1, 32] });

        Assert.Equal(8, scenarios.Count);
        Assert.Contains(scenarios, s => s is { Target: "redis", Permits: 4, Capacity: 4 } && s.Load.Copies == 32 && s.Name == "redis-k4-c32-n1");
        Assert.Contains(scenarios, s => s is { Target: "dlock-redis-sem", Permits: 1 } && s.Load.Copies == 1);
        Assert.Contains("Unknown backend 'dlock-postgres' for semaphores",
            Assert.Throws<ArgumentException>(() => LockPlanBuilder.Build(new LocksOptions { Backends = ["dlock-postgres"], Permits = [4] })).Message);
        Assert.Contains("positive whole numbers", Assert.Throws<ArgumentException>(() => CliValues.IntList("4,0", "--permits")).Message);
        Assert.Contains("locks only", Assert.Throws<ArgumentException>(() => LockPlanBuilder.Build(new LocksOptions { Backends = ["redis"], Permits = [4], Faults = [FaultMode.KillHolder] })).Message);
        Assert.Contains("at least 1 permit", Assert.Throws<ArgumentException>((Scenario("redis", clients: 2) with { Permits = 0 }).Validate).Message);
    }

    private async Task AssertCaughtAsync(Func<ISemaphore> createReal)
    {
        // Every 4th acquire of each client holds a permit of another name while N of the real one are held.
        await using var target = new CoordSemaphoreTarget("over-admitting", () => new OverAdmittingSemaphore(createReal(), every: 4), Permits, []);
        var stats = await LockScenarioRunner.RunAsync(Scenario("over-admitting", clients: 8), target, RunId(), new LockRunHooks(), CancellationToken.None);

        Assert.True(stats.Acquisitions > 0);
        Assert.True(stats.OverlapViolations > 0, "an N+1st holder was admitted and must be counted");
        Assert.True(stats.PeakInUse > Permits, $"peak in use {stats.PeakInUse} should exceed {Permits} permits");
        Assert.True(stats.Violations > 0);
    }

    private static LockScenario Scenario(string target, int clients) => new()
    {
        Name = $"sem-{target}",
        Target = target,
        Load = LoadSimulation.KeepConstant(clients, TimeSpan.FromSeconds(1.5)),
        Hold = TimeSpan.FromMilliseconds(5),
        Permits = Permits,
    };

    private static string RunId() => Guid.NewGuid().ToString("N")[..8];
}
