using System.Diagnostics;
using System.Net;
using Coord.Service.Tests.Infrastructure;

namespace Coord.Service.Tests.Backends;

/// <summary>The semaphore routes over real HTTP against one real backend; inherited once per backend that serves them.</summary>
public abstract partial class BackendSemaphoreTests(BackendServiceFixture fixture)
{
    protected BackendServiceFixture Fixture { get; } = fixture;
    protected SemaphoreApi A => new(Fixture.HostA.Client, Fixture.BackendName);

    protected static string UniqueName(string prefix) => $"{prefix}/{Guid.NewGuid():N}";

    [Fact]
    public async Task Two_permits_go_to_two_holders_a_third_waits_for_a_release_and_every_grant_has_a_higher_fence()
    {
        var name = UniqueName("sem-cycle");
        var first = await A.HoldAsync(name, maxCount: 2, ttlMs: 30_000);
        var second = await A.HoldAsync(name, maxCount: 2, ttlMs: 30_000);
        Assert.NotEqual(first.HolderToken, second.HolderToken);
        Assert.Equal(2, second.MaxCount);
        Assert.True(second.Fence > first.Fence);

        using (var full = await A.AcquireAsync(name, maxCount: 2))
            await ProblemAssert.IsProblemAsync(full, HttpStatusCode.Conflict, "semaphore_full");
        var waiting = new SemaphoreApi(Fixture.HostA.NewClient(ServiceHost.ApiKey), Fixture.BackendName).AcquireAsync(name, maxCount: 2, ttlMs: 30_000, waitMs: 20_000);
        await Task.Delay(300);
        Assert.False(waiting.IsCompleted);

        using (var renewed = await A.RenewAsync(name, first.HolderToken, ttlMs: 30_000))
            Assert.Equal(HttpStatusCode.OK, renewed.StatusCode);
        using (var released = await A.ReleaseAsync(name, first.HolderToken))
            Assert.Equal(HttpStatusCode.NoContent, released.StatusCode);
        using var answer = await waiting;
        var third = await SemaphoreApi.Permit.ReadAsync(answer);
        Assert.True(third.Fence > second.Fence);

        using (var again = await A.ReleaseAsync(name, first.HolderToken))
            await ProblemAssert.IsProblemAsync(again, HttpStatusCode.Conflict, "not_holder");
        using (var wrong = await A.RenewAsync(name, new string('0', 32), ttlMs: 30_000))
            await ProblemAssert.IsProblemAsync(wrong, HttpStatusCode.Conflict, "not_holder");
        foreach (var token in new[] { second.HolderToken, third.HolderToken })
        {
            using var released = await A.ReleaseAsync(name, token);
            Assert.Equal(HttpStatusCode.NoContent, released.StatusCode);
        }
    }

    [Fact]
    public async Task Another_max_count_is_refused_while_the_name_is_in_use_and_accepted_once_it_is_idle()
    {
        var name = UniqueName("sem-count");
        var held = await A.HoldAsync(name, maxCount: 2, ttlMs: 30_000);
        using (var other = await A.AcquireAsync(name, maxCount: 3))
        {
            var problem = await ProblemAssert.IsProblemAsync(other, HttpStatusCode.Conflict, "count_mismatch");
            var detail = problem.GetProperty("detail").GetString()!;
            Assert.Contains("maxCount 2", detail, StringComparison.Ordinal);
            Assert.Contains("sent 3", detail, StringComparison.Ordinal);
        }
        using (await A.ReleaseAsync(name, held.HolderToken)) { }

        var three = await A.HoldAsync(name, maxCount: 3, ttlMs: 30_000);
        Assert.Equal(3, three.MaxCount);
        using (await A.ReleaseAsync(name, three.HolderToken)) { }
    }

    [Fact]
    public async Task Max_count_is_required_and_bounded_to_1_through_int_max()
    {
        var name = UniqueName("sem-range");
        using (var missing = await A.AcquireAsync(name, maxCount: null))
        {
            var problem = await ProblemAssert.IsProblemAsync(missing, HttpStatusCode.BadRequest, "invalid_request");
            Assert.Contains("maxCount is required", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        }
        foreach (var bad in new long[] { 0, -1, int.MinValue })
        {
            using var refused = await A.AcquireAsync(name, maxCount: bad);
            var problem = await ProblemAssert.IsProblemAsync(refused, HttpStatusCode.BadRequest, "invalid_request");
            Assert.Contains("between 1 and 2147483647", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        }
        using (var tooBig = await A.AcquireAsync(name, maxCount: (long)int.MaxValue + 1))
            await ProblemAssert.IsProblemAsync(tooBig, HttpStatusCode.BadRequest, "invalid_json");

        foreach (var edge in new[] { 1, int.MaxValue })
        {
            var edgeName = UniqueName("sem-edge");
            var permit = await A.HoldAsync(edgeName, maxCount: edge, ttlMs: 30_000);
            Assert.Equal(edge, permit.MaxCount);
            using (await A.ReleaseAsync(edgeName, permit.HolderToken)) { }
        }
    }

    [Fact]
    public async Task A_waiting_acquire_taken_back_by_its_attempt_id_holds_no_permit_once_the_cancel_is_answered()
    {
        var name = UniqueName("sem-take-back");
        var holder = await A.HoldAsync(name, maxCount: 1, ttlMs: 30_000);
        var attemptId = LockApi.NewAttemptId();
        using var quitter = Fixture.HostA.NewClient(ServiceHost.ApiKey);
        var waiting = new SemaphoreApi(quitter, Fixture.BackendName).AcquireAsync(name, maxCount: 1, ttlMs: 30_000, waitMs: 25_000, attemptId: attemptId);
        await Task.Delay(300);
        Assert.False(waiting.IsCompleted);

        using (var cancelled = await new LockApi(Fixture.HostA.Client).CancelAttemptAsync(attemptId))
            Assert.Equal(HttpStatusCode.NoContent, cancelled.StatusCode);
        using (await A.ReleaseAsync(name, holder.HolderToken)) { }
        var next = await A.HoldAsync(name, maxCount: 1, ttlMs: 10_000);

        using (var answer = await waiting)
            await ProblemAssert.IsProblemAsync(answer, HttpStatusCode.Conflict, "attempt_cancelled");
        using (await A.ReleaseAsync(name, next.HolderToken)) { }
    }

    [Fact]
    public async Task A_permit_nobody_renews_frees_itself_after_its_ttl()
    {
        var name = UniqueName("sem-expire");
        // Long enough that the "still full" check comes inside it on a loaded machine (with 1 s, etcd's lease of a
        // clean-clone CI run once ran out before that check was sent).
        const long ttlMs = 3_000;
        var watch = Stopwatch.StartNew();
        var abandoned = await A.HoldAsync(name, maxCount: 1, ttlMs: ttlMs);
        using (var early = await A.AcquireAsync(name, maxCount: 1))
            await ProblemAssert.IsProblemAsync(early, HttpStatusCode.Conflict, "semaphore_full");

        var next = await A.HoldAsync(name, maxCount: 1, ttlMs: 10_000, waitMs: 10_000);
        Assert.True(watch.ElapsedMilliseconds >= ttlMs / 2, $"the permit came free after only {watch.ElapsedMilliseconds} ms of a {ttlMs} ms lease");
        Assert.True(next.Fence > abandoned.Fence);
        using (var stale = await A.ReleaseAsync(name, abandoned.HolderToken))
            await ProblemAssert.IsProblemAsync(stale, HttpStatusCode.Conflict, "not_holder");
        using (await A.ReleaseAsync(name, next.HolderToken)) { }
    }
}
