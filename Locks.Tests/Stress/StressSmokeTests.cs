using Coord.Stress.Engine;
using Coord.Stress.Targets;

namespace Coord.Locks.Tests.Stress;

/// <summary>
/// A few seconds of every lock scenario kind through the stress runner's engine: each must acquire,
/// and none may see two holders at once or fencing tokens out of order.
/// </summary>
public sealed class StressSmokeTests(StressServersFixture fixture) : IClassFixture<StressServersFixture>
{
    private static readonly TimeSpan Short = TimeSpan.FromSeconds(1.5);

    public static TheoryData<string> Targets() => new(LockTargetCatalog.Names);

    [Theory]
    [MemberData(nameof(Targets))]
    public async Task Every_target_takes_turns_under_contention_without_violations(string target)
    {
        var stats = await RunAsync(new LockScenario
        {
            Name = $"smoke-{target}",
            Target = target,
            Load = LoadSimulation.KeepConstant(4, Short),
        });

        Assert.True(stats.Acquisitions > 0, $"{target}: no acquisitions");
        Assert.Equal(0, stats.OverlapViolations);
        Assert.Equal(0, stats.FenceViolations);
        Assert.Empty(stats.Errors);
        Assert.Equal(stats.Acquisitions, stats.AcquisitionsPerClient.Sum());
        Assert.True(stats.Steps["acquire"].Count == stats.Acquisitions, "every acquisition's wait is in the histogram");
    }

    [Fact]
    public async Task Coord_redis_counts_its_requests_and_the_servers_commands()
    {
        var stats = await RunAsync(new LockScenario { Name = "smoke-counts", Target = "redis", Load = LoadSimulation.IterationsForConstant(2, 200) });

        Assert.Equal(200, stats.Acquisitions);
        Assert.True(stats.ClientRequests["acquire"] >= 200, "each acquisition sends at least one acquire request");
        Assert.True(stats.ServerRequests["redis commands"] >= 400, "acquire and release each cost the server at least one command");
    }

    [Fact]
    public async Task Http_service_holds_are_renewed_by_the_client_and_fenced_in_order()
    {
        // Holds longer than a third of the TTL: the service renews nothing, so without the client's PUTs they would lapse.
        var stats = await RunAsync(new LockScenario
        {
            Name = "smoke-http",
            Target = "http",
            Load = LoadSimulation.KeepConstant(4, TimeSpan.FromSeconds(3)),
            Hold = TimeSpan.FromMilliseconds(450),
            Ttl = TimeSpan.FromMilliseconds(600),
        });

        Assert.True(stats.Acquisitions > 0, "no acquisitions over HTTP");
        Assert.True(stats.SupportsFencing, "the service's redis backend issues fencing tokens");
        Assert.Equal(0, stats.Violations);
        Assert.Empty(stats.Errors);
        Assert.True(stats.ClientRequests["renew"] >= stats.Acquisitions, "each hold of 450 ms is renewed at least once (every 200 ms)");
        Assert.True(stats.ClientRequests["release"] >= stats.Acquisitions - 4, "released over HTTP");
        Assert.True(stats.ServerRequests["redis commands"] > 0, "the service reached the run's Redis server");
    }

    [Fact]
    public async Task Worker_processes_are_checked_together()
    {
        var stats = await RunAsync(new LockScenario
        {
            Name = "smoke-processes",
            Target = "redis",
            Load = LoadSimulation.KeepConstant(4, TimeSpan.FromSeconds(2)),
            Processes = 2,
        });

        Assert.True(stats.Acquisitions > 0);
        Assert.Equal(4, stats.AcquisitionsPerClient.Length);
        Assert.Equal(0, stats.Violations);
        Assert.True(stats.Handoff.Count > 0, "hand-offs between clients of different processes are measured from the merged holds");
    }

    [Fact]
    public async Task Killed_holder_process_frees_the_lock_within_its_ttl()
    {
        var ttl = TimeSpan.FromSeconds(1);
        var stats = await RunAsync(new LockScenario
        {
            Name = "smoke-kill-holder",
            Target = "redis",
            Load = LoadSimulation.KeepConstant(2, TimeSpan.FromSeconds(4.5)),
            Processes = 2,
            Hold = TimeSpan.FromMilliseconds(300),
            Ttl = ttl,
            Fault = FaultMode.KillHolder,
        });

        Assert.Equal(0, stats.Violations);
        Assert.True(stats.FaultOutcome.TryGetValue("seconds from kill to next acquisition", out var recovery),
            "the worker was killed while holding: " + string.Join(", ", stats.FaultOutcome.Select(kv => $"{kv.Key} {kv.Value}")));
        Assert.InRange(recovery, 0, ttl.TotalSeconds + 1.5);
    }

    [Fact]
    public async Task Fencing_stops_the_stale_writes_of_a_paused_holder()
    {
        var fenced = await RunAsync(PauseScenario("redis", checks: true));
        var unchecked_ = await RunAsync(PauseScenario("redis", checks: false));

        Assert.True(fenced.FaultOutcome["stale writes attempted"] > 0, "the paused holder wrote after someone else took over");
        Assert.Equal(fenced.FaultOutcome["stale writes attempted"], fenced.FaultOutcome["stale writes stopped by fencing"]);
        Assert.Equal(0, fenced.FaultOutcome["stale writes landed"]);
        Assert.Equal(0, fenced.FaultOutcome["current holder writes rejected"]);
        Assert.True(unchecked_.FaultOutcome["stale writes landed"] > 0, "without the token check the stale writes land");
        Assert.Equal(0, fenced.Violations + unchecked_.Violations);
    }

    [Fact]
    public async Task Redlock_keeps_granting_after_a_master_is_killed()
    {
        var stats = await RunAsync(new LockScenario
        {
            Name = "smoke-kill-server",
            Target = "redlock",
            Load = LoadSimulation.KeepConstant(3, TimeSpan.FromSeconds(3)),
            Fault = FaultMode.KillServer,
        });

        Assert.Equal(0, stats.Violations);
        Assert.True(stats.FaultOutcome["acquisitions/s after kill"] > 0, "a majority of masters is still up");
    }

    private static LockScenario PauseScenario(string target, bool checks) => new()
    {
        Name = $"smoke-pause-{checks}",
        Target = target,
        Load = LoadSimulation.KeepConstant(3, TimeSpan.FromSeconds(2)),
        Hold = TimeSpan.FromMilliseconds(10),
        Ttl = TimeSpan.FromMilliseconds(400),
        Fault = FaultMode.PauseHolder,
        FencedResourceChecks = checks,
    };

    private async Task<LockScenarioStats> RunAsync(LockScenario scenario)
    {
        var plan = new LockRunPlan { RunId = Guid.NewGuid().ToString("N")[..8], Scenarios = [scenario] };
        var results = await LockRun.RunAsync(plan, fixture.Servers, null, CancellationToken.None);
        var stats = Assert.Single(results);
        Assert.DoesNotContain(stats.Notes, n => n.StartsWith("skipped", StringComparison.Ordinal));
        return stats;
    }
}
