using System.Net;
using Coord.Service.Tests.Infrastructure;

namespace Coord.Service.Tests.Backends;

/// <summary>
/// ZooKeeper through the service. A hold is an ephemeral node owned by the acquiring instance's session,
/// so another instance can read and release it but not renew it, and says so.
/// </summary>
public sealed class ZooKeeperLockTests(ZooKeeperServiceFixture fixture) : BackendLockTests(fixture), IClassFixture<ZooKeeperServiceFixture>
{
    private LockApi B => new(Fixture.HostB!.Client, Fixture.BackendName);

    [Fact]
    public async Task Another_instance_cannot_renew_a_hold_and_says_why_but_can_release_it()
    {
        var name = UniqueName("zk-cross");
        var held = await A.HoldAsync(name, ttlMs: 10_000);
        Assert.True((await B.StatusJsonAsync(name)).GetProperty("held").GetBoolean());

        using (var renew = await B.RenewAsync(name, held.HolderToken, ttlMs: 10_000))
        {
            var problem = await ProblemAssert.IsProblemAsync(renew, HttpStatusCode.Conflict, "lock_conflict");
            var detail = problem.GetProperty("detail").GetString()!;
            Assert.Contains("session", detail, StringComparison.Ordinal);
            Assert.Contains("renew through the client (process) that acquired it", detail, StringComparison.Ordinal);
        }
        // The refused renewal did not hurt the hold: the acquiring instance still renews it.
        using (var renew = await A.RenewAsync(name, held.HolderToken, ttlMs: 10_000))
            Assert.Equal(HttpStatusCode.OK, renew.StatusCode);

        using (var released = await B.ReleaseAsync(name, held.HolderToken))
            Assert.Equal(HttpStatusCode.NoContent, released.StatusCode);
        Assert.False((await A.StatusJsonAsync(name)).GetProperty("held").GetBoolean());
    }
}
