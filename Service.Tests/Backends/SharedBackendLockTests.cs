using System.Net;
using Coord.Service.Tests.Infrastructure;

namespace Coord.Service.Tests.Backends;

/// <summary>
/// Backends whose holds live in the server, not in one client's session: a hold taken through one
/// service instance can be renewed and released through another.
/// </summary>
public abstract class SharedBackendLockTests(BackendServiceFixture fixture) : BackendLockTests(fixture)
{
    protected LockApi B => new(Fixture.HostB!.Client, Fixture.BackendName);

    [Fact]
    public async Task A_lock_acquired_through_one_instance_is_renewed_and_released_through_the_other()
    {
        var name = UniqueName("cross");
        var held = await A.HoldAsync(name, ttlMs: 5_000);

        var seenByB = await B.StatusJsonAsync(name);
        Assert.True(seenByB.GetProperty("held").GetBoolean());
        Assert.Equal(held.FencingToken, seenByB.GetProperty("fencingToken").GetString());
        using (var taken = await B.AcquireAsync(name))
            await ProblemAssert.IsProblemAsync(taken, HttpStatusCode.Conflict, "lock_held");

        using (var renewed = await B.RenewAsync(name, held.HolderToken, ttlMs: 5_000))
            Assert.Equal(HttpStatusCode.OK, renewed.StatusCode);
        using (var released = await B.ReleaseAsync(name, held.HolderToken))
            Assert.Equal(HttpStatusCode.NoContent, released.StatusCode);

        Assert.False((await A.StatusJsonAsync(name)).GetProperty("held").GetBoolean());
        var again = await A.HoldAsync(name);
        using (await A.ReleaseAsync(name, again.HolderToken)) { }
    }

    [Fact]
    public async Task A_renewal_through_the_other_instance_keeps_the_hold_past_its_first_ttl()
    {
        var name = UniqueName("cross-renew");
        var held = await A.HoldAsync(name, ttlMs: 2_000);
        for (var i = 0; i < 6; i++)
        {
            await Task.Delay(500);
            using var renewed = await B.RenewAsync(name, held.HolderToken, ttlMs: 2_000);
            Assert.Equal(HttpStatusCode.OK, renewed.StatusCode);
        }
        // 3 s after a 2 s lease, still held because B renewed it.
        using (var taken = await A.AcquireAsync(name))
            await ProblemAssert.IsProblemAsync(taken, HttpStatusCode.Conflict, "lock_held");
        using (var released = await A.ReleaseAsync(name, held.HolderToken))
            Assert.Equal(HttpStatusCode.NoContent, released.StatusCode);
    }
}
