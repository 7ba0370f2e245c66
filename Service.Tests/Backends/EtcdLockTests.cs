using System.Net;
using Coord.Service.Tests.Infrastructure;

namespace Coord.Service.Tests.Backends;

public sealed class EtcdLockTests(EtcdServiceFixture fixture) : SharedBackendLockTests(fixture), IClassFixture<EtcdServiceFixture>
{
    [Fact]
    public async Task Renewing_for_longer_than_the_granted_lease_is_refused_with_the_reason()
    {
        var name = UniqueName("etcd-longer");
        var held = await A.HoldAsync(name, ttlMs: 5_000);
        using (var longer = await A.RenewAsync(name, held.HolderToken, ttlMs: 60_000))
        {
            var problem = await ProblemAssert.IsProblemAsync(longer, HttpStatusCode.Conflict, "lock_conflict");
            Assert.Contains("cannot lengthen a lease", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        }
        // The hold itself is fine and renews at its own length.
        using (var same = await A.RenewAsync(name, held.HolderToken, ttlMs: 5_000))
            Assert.Equal(HttpStatusCode.OK, same.StatusCode);
        using (await A.ReleaseAsync(name, held.HolderToken)) { }
    }
}
