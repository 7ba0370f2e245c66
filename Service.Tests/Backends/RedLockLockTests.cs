using System.Net;
using Coord.Service.Tests.Infrastructure;

namespace Coord.Service.Tests.Backends;

public sealed class RedLockLockTests(RedLockServiceFixture fixture) : BackendLockTests(fixture), IClassFixture<RedLockServiceFixture>
{
    [Fact]
    public async Task Semaphores_on_a_backend_that_serves_none_over_REST_answer_501_naming_the_backend()
    {
        using var refused = await new SemaphoreApi(Fixture.HostA.Client, Fixture.BackendName).AcquireAsync($"redlock-sem/{Guid.NewGuid():N}", maxCount: 2);
        var problem = await ProblemAssert.IsProblemAsync(refused, HttpStatusCode.NotImplemented, "not_supported");
        Assert.Contains($"Backend '{Fixture.BackendName}'", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }
}
