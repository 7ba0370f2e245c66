using System.Collections.Concurrent;
using System.Net;
using Coord.Client.Tests.Infrastructure;
using Coord.Locks;
using Microsoft.Extensions.DependencyInjection;

namespace Coord.Client.Tests.Locks;

/// <summary>What the service answers with an error becomes the lock library's exceptions, carrying the problem's code and detail.</summary>
public sealed class ClientErrorTests(ServiceOnRedisFixture fixture) : IClassFixture<ServiceOnRedisFixture>
{
    private static string NewName() => $"errors/{Guid.NewGuid():N}";

    [Fact]
    public async Task A_wrong_API_key_is_a_LockBackendException_carrying_the_services_401_code_and_detail()
    {
        await using var client = fixture.NewClient(o => o.ApiKey = "not-the-key-0123456789");
        var name = NewName();
        var ex = await Assert.ThrowsAsync<LockBackendException>(() => client.Locks.AcquireAsync(name));
        var problem = Assert.IsType<CoordServiceException>(ex.InnerException);
        Assert.Equal(HttpStatusCode.Unauthorized, problem.StatusCode);
        Assert.Equal("unauthorized", problem.Code);
        Assert.Contains("API key is not valid", problem.Detail, StringComparison.Ordinal);
        Assert.Contains(problem.Detail!, ex.Message, StringComparison.Ordinal);
        Assert.Equal(name, ex.LockName);
        Assert.Equal(client.Locks.Endpoint, ex.Endpoint);
        Assert.DoesNotContain("not-the-key", ex.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task What_the_service_refuses_as_bad_input_is_an_ArgumentException_with_its_detail()
    {
        await using var unknownBackend = fixture.NewClient(o => o.Backend = "nosuch");
        var backend = await Assert.ThrowsAnyAsync<ArgumentException>(() => unknownBackend.Locks.TryAcquireAsync(NewName()));
        Assert.Contains("unknown_backend", backend.Message, StringComparison.Ordinal);
        Assert.Contains("Unknown lock backend 'nosuch'", backend.Message, StringComparison.Ordinal);

        // A client that believes the service waits longer per request than it does (service MaxWait 30 s).
        await using var holder = fixture.NewClient();
        await using var longWaits = fixture.NewClient(o => o.MaxWaitPerRequest = TimeSpan.FromSeconds(31));
        var name = NewName();
        await using var held = await holder.Locks.AcquireAsync(name);
        var wait = await Assert.ThrowsAnyAsync<ArgumentException>(() => longWaits.Locks.TryAcquireAsync(name, wait: TimeSpan.FromMinutes(1)));
        Assert.Contains("waitMs must be between 0 and 30000", wait.Message, StringComparison.Ordinal);
        Assert.False(held.IsLost);
    }

    [Fact]
    public async Task A_service_nobody_answers_on_gives_a_LockBackendException_naming_the_endpoint()
    {
        using var listener = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        await using var client = CoordClient.Create(o =>
        {
            o.BaseAddress = new Uri($"http://127.0.0.1:{port}/");
            o.ConnectTimeout = TimeSpan.FromSeconds(2);
        });

        var ex = await Assert.ThrowsAsync<LockBackendException>(() => client.Locks.AcquireAsync(NewName(), wait: TimeSpan.FromSeconds(1)));
        Assert.Contains($"127.0.0.1:{port}", ex.Message, StringComparison.Ordinal);
        var problem = Assert.IsType<CoordServiceException>(ex.InnerException);
        Assert.Null(problem.StatusCode);
        Assert.IsType<HttpRequestException>(problem.InnerException);
    }

    [Fact]
    public async Task A_backend_outage_is_a_503_with_its_code_safe_requests_are_retried_and_acquire_is_sent_once()
    {
        var wire = new ConcurrentDictionary<HttpMethod, int>();
        var services = new ServiceCollection();
        services.AddCoordClient(o =>
        {
            o.BaseAddress = fixture.Service.BaseAddress;
            o.ApiKey = ServiceFixture.ApiKey;
            o.MaxRetries = 2;
            // The service answers 503 with Retry-After: 1; two retries fit with room to spare.
            o.ConnectTimeout = TimeSpan.FromSeconds(20);
        });
        // Inside the retry handler: it sees every attempt that goes on the wire.
        services.AddHttpClient(CoordClientServiceCollectionExtensions.HttpClientName).AddHttpMessageHandler(() => new CountingHandler(wire));
        await using var provider = services.BuildServiceProvider();
        var locks = provider.GetRequiredService<CoordClient>().Locks;
        var name = NewName();
        await using (await locks.AcquireAsync(name))
        {
        }

        await fixture.Redis.Server.StopAsync();
        try
        {
            wire.Clear();
            var acquire = await Assert.ThrowsAsync<LockBackendException>(() => locks.TryAcquireAsync(name));
            var problem = Assert.IsType<CoordServiceException>(acquire.InnerException);
            Assert.Equal(HttpStatusCode.ServiceUnavailable, problem.StatusCode);
            Assert.Equal("backend_unavailable", problem.Code);
            Assert.Contains("redis backend", problem.Detail, StringComparison.Ordinal);
            Assert.Equal(1, wire.GetValueOrDefault(HttpMethod.Post));

            var status = await Assert.ThrowsAsync<LockBackendException>(() => locks.GetStatusAsync(name));
            Assert.Equal("backend_unavailable", Assert.IsType<CoordServiceException>(status.InnerException).Code);
            Assert.Equal(3, wire.GetValueOrDefault(HttpMethod.Get));
        }
        finally
        {
            await fixture.Redis.Server.StartAgainAsync();
        }

        // The service reconnects by itself (status is retried, acquire is not); the same client then works again.
        await WaitUntilAsync(async () =>
        {
            try
            {
                return !(await locks.GetStatusAsync(name)).Held;
            }
            catch (LockBackendException)
            {
                return false;
            }
        });
        var again = await locks.AcquireAsync(name, wait: TimeSpan.FromSeconds(30));
        await again.ReleaseAsync();
    }

    private static async Task WaitUntilAsync(Func<Task<bool>> condition)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (!await condition())
        {
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(60), "the service did not reach its backend again within 60 s");
            await Task.Delay(100);
        }
    }
}
