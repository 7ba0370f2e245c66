using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Text.Json;
using Coord.Service.Tests.Infrastructure;

namespace Coord.Service.Tests.Backends;

/// <summary>
/// The lock surface over real HTTP against one real backend; inherited once per backend. Locks are
/// named per test so that tests of one class never meet.
/// </summary>
public abstract class BackendLockTests(BackendServiceFixture fixture)
{
    protected BackendServiceFixture Fixture { get; } = fixture;
    protected LockApi A => new(Fixture.HostA.Client, Fixture.BackendName);

    protected static string UniqueName(string prefix) => $"{prefix}/{Guid.NewGuid():N}";

    [Fact]
    public async Task Full_cycle_acquire_status_renew_release_and_a_greater_fencing_token_next_time()
    {
        var name = UniqueName("orders");
        var before = DateTimeOffset.UtcNow;
        var first = await A.HoldAsync(name, ttlMs: 10_000);

        Assert.Equal(name, first.Name);
        Assert.Equal(Fixture.BackendName, first.Backend);
        Assert.Matches("^[0-9a-f]{32}$", first.HolderToken);
        Assert.Equal(10_000, first.TtlMs);
        Assert.InRange(first.ExpiresAt, before.AddSeconds(5), DateTimeOffset.UtcNow.AddSeconds(10));
        if (Fixture.HasFencing)
            Assert.True(long.Parse(first.FencingToken!, CultureInfo.InvariantCulture) > 0);
        else
            Assert.Null(first.FencingToken);

        using (var status = await A.StatusAsync(name))
        {
            var body = await status.Content.ReadAsStringAsync();
            Assert.DoesNotContain(first.HolderToken, body, StringComparison.Ordinal);
            var json = JsonDocument.Parse(body).RootElement;
            Assert.True(json.GetProperty("held").GetBoolean());
            Assert.Equal(first.FencingToken, json.GetProperty("fencingToken").GetString());
        }

        using (var other = await A.AcquireAsync(name))
            await ProblemAssert.IsProblemAsync(other, HttpStatusCode.Conflict, "lock_held");

        await Task.Delay(50);
        using (var renewed = await A.RenewAsync(name, first.HolderToken, ttlMs: 10_000))
        {
            Assert.Equal(HttpStatusCode.OK, renewed.StatusCode);
            var json = await ProblemAssert.ReadJsonAsync(renewed);
            Assert.Equal(10_000, json.GetProperty("ttlMs").GetInt64());
            Assert.True(json.GetProperty("expiresAt").GetDateTimeOffset() > first.ExpiresAt);
        }

        using (var released = await A.ReleaseAsync(name, first.HolderToken))
            Assert.Equal(HttpStatusCode.NoContent, released.StatusCode);
        Assert.False((await A.StatusJsonAsync(name)).GetProperty("held").GetBoolean());

        var second = await A.HoldAsync(name);
        Assert.NotEqual(first.HolderToken, second.HolderToken);
        if (Fixture.HasFencing)
            Assert.True(long.Parse(second.FencingToken!, CultureInfo.InvariantCulture) > long.Parse(first.FencingToken!, CultureInfo.InvariantCulture));
        using (var releasedAgain = await A.ReleaseAsync(name, second.HolderToken))
            Assert.Equal(HttpStatusCode.NoContent, releasedAgain.StatusCode);
    }

    /// <summary>The same fields, with the same meaning, on every backend: the current hold's values, nothing about earlier ones.</summary>
    [Fact]
    public async Task Status_reports_the_same_fields_on_every_backend_held_and_after_release()
    {
        var name = UniqueName("status-fields");
        string[] fields = ["backend", "expiresInMs", "fencingToken", "held", "name"];
        var held = await A.HoldAsync(name, ttlMs: 10_000);

        var whileHeld = await A.StatusJsonAsync(name);
        Assert.Equal(fields, whileHeld.EnumerateObject().Select(p => p.Name).Order(StringComparer.Ordinal));
        Assert.True(whileHeld.GetProperty("held").GetBoolean());
        Assert.Equal(name, whileHeld.GetProperty("name").GetString());
        Assert.Equal(Fixture.BackendName, whileHeld.GetProperty("backend").GetString());
        Assert.Equal(held.FencingToken, whileHeld.GetProperty("fencingToken").GetString());
        if (whileHeld.GetProperty("expiresInMs").ValueKind != JsonValueKind.Null)
            Assert.InRange(whileHeld.GetProperty("expiresInMs").GetInt64(), 1, 10_000);

        using (var released = await A.ReleaseAsync(name, held.HolderToken))
            Assert.Equal(HttpStatusCode.NoContent, released.StatusCode);
        var afterRelease = await A.StatusJsonAsync(name);
        Assert.Equal(fields, afterRelease.EnumerateObject().Select(p => p.Name).Order(StringComparer.Ordinal));
        Assert.False(afterRelease.GetProperty("held").GetBoolean());
        Assert.Equal(name, afterRelease.GetProperty("name").GetString());
        Assert.Equal(Fixture.BackendName, afterRelease.GetProperty("backend").GetString());
        Assert.Equal(JsonValueKind.Null, afterRelease.GetProperty("expiresInMs").ValueKind);
        Assert.Equal(JsonValueKind.Null, afterRelease.GetProperty("fencingToken").ValueKind);
    }

    [Fact]
    public async Task A_wrong_holder_token_never_touches_the_real_holders_lock()
    {
        var name = UniqueName("wrong-token");
        var old = await A.HoldAsync(name, ttlMs: 30_000);
        using (await A.ReleaseAsync(name, old.HolderToken)) { }
        var held = await A.HoldAsync(name, ttlMs: 30_000);
        var statusBefore = await A.StatusJsonAsync(name);

        // A random token, and the token of the previous (released) hold of the same name.
        foreach (var wrong in new[] { RandomNumberGenerator.GetHexString(32, lowercase: true), old.HolderToken })
        {
            using (var renew = await A.RenewAsync(name, wrong, ttlMs: 1_000))
                await ProblemAssert.IsProblemAsync(renew, HttpStatusCode.Conflict, "not_holder");
            using (var release = await A.ReleaseAsync(name, wrong))
                await ProblemAssert.IsProblemAsync(release, HttpStatusCode.Conflict, "not_holder");
        }

        var statusAfter = await A.StatusJsonAsync(name);
        Assert.True(statusAfter.GetProperty("held").GetBoolean());
        Assert.Equal(statusBefore.GetProperty("fencingToken").GetString(), statusAfter.GetProperty("fencingToken").GetString());
        if (statusAfter.GetProperty("expiresInMs").ValueKind == JsonValueKind.Number)
        {
            // The wrong renewals asked for 1 s; the real hold keeps (most of) its 30 s.
            Assert.True(statusAfter.GetProperty("expiresInMs").GetInt64() > 10_000, statusAfter.ToString());
        }
        using (var other = await A.AcquireAsync(name))
            await ProblemAssert.IsProblemAsync(other, HttpStatusCode.Conflict, "lock_held");

        using (var renew = await A.RenewAsync(name, held.HolderToken, ttlMs: 30_000))
            Assert.Equal(HttpStatusCode.OK, renew.StatusCode);
        using (var release = await A.ReleaseAsync(name, held.HolderToken))
            Assert.Equal(HttpStatusCode.NoContent, release.StatusCode);
    }

    [Fact]
    public async Task A_name_with_slashes_is_the_same_lock_whether_the_slash_is_raw_or_percent_encoded()
    {
        var id = Guid.NewGuid().ToString("N");
        var held = await A.HoldAsync($"tenants/{id}/orders 42");
        using (var encoded = await Fixture.HostA.Client.GetAsync($"/v1/locks/tenants%2F{id}%2Forders%2042?backend={Fixture.BackendName}"))
        {
            var json = await ProblemAssert.ReadJsonAsync(encoded);
            Assert.Equal($"tenants/{id}/orders 42", json.GetProperty("name").GetString());
            Assert.True(json.GetProperty("held").GetBoolean());
        }
        // %252F is the three characters "%2F", not a slash: a different lock, and free.
        using (var literal = await Fixture.HostA.Client.GetAsync($"/v1/locks/tenants%252F{id}%252Forders%2042?backend={Fixture.BackendName}"))
            Assert.False((await ProblemAssert.ReadJsonAsync(literal)).GetProperty("held").GetBoolean());
        using (await A.ReleaseAsync(held.Name, held.HolderToken)) { }
    }

    [Fact]
    public async Task A_waiting_acquire_gets_the_lock_when_the_holder_releases()
    {
        var name = UniqueName("queue");
        var first = await A.HoldAsync(name, ttlMs: 30_000);
        var waiter = new LockApi(Fixture.HostA.NewClient(ServiceHost.ApiKey), Fixture.BackendName).AcquireAsync(name, ttlMs: 10_000, waitMs: 20_000);
        await Task.Delay(300);
        Assert.False(waiter.IsCompleted);
        using (await A.ReleaseAsync(name, first.HolderToken)) { }

        using var response = await waiter;
        var second = await LockApi.Lease.ReadAsync(response);
        if (Fixture.HasFencing)
            Assert.True(long.Parse(second.FencingToken!, CultureInfo.InvariantCulture) > long.Parse(first.FencingToken!, CultureInfo.InvariantCulture));
        using (await A.ReleaseAsync(name, second.HolderToken)) { }
    }

    [Fact]
    public async Task A_waiting_client_that_hangs_up_leaves_the_queue_and_is_not_handed_the_lock()
    {
        var name = UniqueName("hang-up");
        var holder = await A.HoldAsync(name, ttlMs: 30_000);
        using (var quitter = Fixture.HostA.NewClient(ServiceHost.ApiKey))
        using (var hangUp = new CancellationTokenSource())
        {
            var waiting = new LockApi(quitter, Fixture.BackendName).AcquireAsync(name, ttlMs: 30_000, waitMs: 25_000, hangUp.Token);
            await Task.Delay(500);
            await hangUp.CancelAsync();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting);
        }
        // Give the service a moment to see the closed connection and take the waiter out of the queue.
        await Task.Delay(1_000);
        using (await A.ReleaseAsync(name, holder.HolderToken)) { }

        // Had the lock been handed to the departed waiter, it would stay taken for its 30 s lease.
        var next = await A.HoldAsync(name, ttlMs: 10_000, waitMs: 5_000);
        using (await A.ReleaseAsync(name, next.HolderToken)) { }
    }

    [Fact]
    public async Task A_waiting_acquire_taken_back_by_its_attempt_id_holds_nothing_once_the_cancel_is_answered()
    {
        var name = UniqueName("take-back");
        var holder = await A.HoldAsync(name, ttlMs: 30_000);
        var attemptId = LockApi.NewAttemptId();
        using var quitter = Fixture.HostA.NewClient(ServiceHost.ApiKey);
        var waiting = new LockApi(quitter, Fixture.BackendName).AcquireWithAttemptAsync(name, attemptId, ttlMs: 30_000, waitMs: 25_000);
        await Task.Delay(300);
        Assert.False(waiting.IsCompleted);

        using (var cancelled = await A.CancelAttemptAsync(attemptId))
            Assert.Equal(HttpStatusCode.NoContent, cancelled.StatusCode);
        // No pause here, unlike a client that only hangs up: the cancel's answer is the promise.
        using (await A.ReleaseAsync(name, holder.HolderToken)) { }
        var next = await A.HoldAsync(name, ttlMs: 10_000);

        using (var answer = await waiting)
            await ProblemAssert.IsProblemAsync(answer, HttpStatusCode.Conflict, "attempt_cancelled");
        using (await A.ReleaseAsync(name, next.HolderToken)) { }
    }

    [Fact]
    public async Task A_granted_attempt_taken_back_is_released_and_a_cancel_before_its_acquire_refuses_that_acquire()
    {
        var name = UniqueName("take-back-granted");
        var attemptId = LockApi.NewAttemptId();
        using (var granted = await A.AcquireWithAttemptAsync(name, attemptId, ttlMs: 30_000))
            await LockApi.Lease.ReadAsync(granted);
        // The answer may never have reached a client that gave up: the cancel releases the grant all the same.
        using (var cancelled = await A.CancelAttemptAsync(attemptId))
            Assert.Equal(HttpStatusCode.NoContent, cancelled.StatusCode);
        Assert.False((await A.StatusJsonAsync(name)).GetProperty("held").GetBoolean());

        var early = LockApi.NewAttemptId();
        using (var cancelled = await A.CancelAttemptAsync(early))
            Assert.Equal(HttpStatusCode.NoContent, cancelled.StatusCode);
        using (var late = await A.AcquireWithAttemptAsync(name, early, ttlMs: 30_000))
            await ProblemAssert.IsProblemAsync(late, HttpStatusCode.Conflict, "attempt_cancelled");
        Assert.False((await A.StatusJsonAsync(name)).GetProperty("held").GetBoolean());
    }

    [Fact]
    public async Task An_attempt_id_is_refused_when_reused_or_malformed_and_nothing_is_taken()
    {
        var name = UniqueName("attempt-id");
        var attemptId = LockApi.NewAttemptId();
        var first = await LockApi.Lease.ReadAsync(await A.AcquireWithAttemptAsync(name, attemptId, ttlMs: 30_000));
        using (await A.ReleaseAsync(name, first.HolderToken)) { }

        using (var reused = await A.AcquireWithAttemptAsync(name, attemptId, ttlMs: 30_000))
        {
            var problem = await ProblemAssert.IsProblemAsync(reused, HttpStatusCode.BadRequest, "invalid_request");
            Assert.Contains("fresh id", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        }
        foreach (var bad in new[] { "", "has space", new string('a', 65), "é" })
        {
            using var refused = await A.AcquireWithAttemptAsync(name, bad, ttlMs: 30_000);
            var problem = await ProblemAssert.IsProblemAsync(refused, HttpStatusCode.BadRequest, "invalid_request");
            Assert.Contains("1 to 64 characters", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        }
        using (var longest = await A.AcquireWithAttemptAsync(name, Guid.NewGuid().ToString("N") + Guid.NewGuid().ToString("N"), ttlMs: 30_000))
        {
            var lease = await LockApi.Lease.ReadAsync(longest);
            using (await A.ReleaseAsync(name, lease.HolderToken)) { }
        }
        Assert.False((await A.StatusJsonAsync(name)).GetProperty("held").GetBoolean());
    }

    [Fact]
    public async Task A_lock_whose_client_stops_renewing_is_free_again_after_its_ttl()
    {
        var name = UniqueName("abandoned");
        const long ttlMs = 2_000;
        var watch = Stopwatch.StartNew();
        var abandoned = await A.HoldAsync(name, ttlMs: ttlMs);
        // Nobody renews it: the service took a bare lease, so nothing in-process keeps it alive.
        using (var early = await A.AcquireAsync(name))
            await ProblemAssert.IsProblemAsync(early, HttpStatusCode.Conflict, "lock_held");

        var next = await A.HoldAsync(name, ttlMs: 10_000, waitMs: 20_000);
        Assert.True(watch.ElapsedMilliseconds >= ttlMs / 2, $"the lock came free after only {watch.ElapsedMilliseconds} ms of a {ttlMs} ms lease");
        Assert.NotEqual(abandoned.HolderToken, next.HolderToken);

        // The expired hold's token is now worthless.
        using (var stale = await A.ReleaseAsync(name, abandoned.HolderToken))
            await ProblemAssert.IsProblemAsync(stale, HttpStatusCode.Conflict, "not_holder");
        using (await A.ReleaseAsync(name, next.HolderToken)) { }
    }

    [Fact]
    public async Task Readyz_reports_the_backend_reachable()
    {
        using var response = await Fixture.HostA.Client.GetAsync("/readyz");
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, body);
        Assert.Contains($"lock backend {Fixture.BackendName}", body, StringComparison.Ordinal);
    }
}
