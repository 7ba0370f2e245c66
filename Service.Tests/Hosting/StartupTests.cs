using Coord.Service.Hosting;
using Coord.Service.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace Coord.Service.Tests.Hosting;

/// <summary>What the service refuses at start-up, with a message that says what to change.</summary>
public sealed class StartupTests
{
    /// <summary>Every way of naming an address, each ending on an address other machines can reach.</summary>
    public static TheoryData<string[]> ReachableBindings => new()
    {
        { ["--urls=http://0.0.0.0:0"] },
        { ["--urls=http://127.0.0.1:0;http://[::]:0"] },
        { ["--urls=http://*:0"] },
        { ["--http_ports=0"] },
        { ["--Kestrel:Endpoints:Web:Url=http://0.0.0.0:0"] },
        // Kestrel:Endpoints alone would be loopback, but preferHostingUrls makes the server use urls instead.
        { ["--Kestrel:Endpoints:Web:Url=http://127.0.0.1:0", "--urls=http://0.0.0.0:0", "--preferHostingUrls=true"] },
        { ["--Kestrel:Endpoints:Web:Url=http://127.0.0.1:0", "--http_ports=0", "--preferHostingUrls=true"] },
    };

    [Theory]
    [MemberData(nameof(ReachableBindings))]
    public async Task Without_api_keys_it_refuses_to_run_on_any_address_it_bound_beyond_loopback(string[] binding)
    {
        await using var app = CoordServiceApp.Build(binding);
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => app.StartAsync());
        Assert.Contains("without API keys", error.Message, StringComparison.Ordinal);
        Assert.Contains("Coord:ApiKeys", error.Message, StringComparison.Ordinal);
        // It names the address really bound (a real port), not the configured one.
        Assert.Matches(@"Refusing to listen on http://[^ ]+:[1-9]\d* ", error.Message);
        Assert.Empty(app.Services.GetRequiredService<ListenGuard>().BoundAddresses);
    }

    /// <summary>Configurations that look reachable but end on loopback only: what counts is what was bound.</summary>
    public static TheoryData<string[]> LoopbackBindings => new()
    {
        { ["--urls=http://127.0.0.1:0"] },
        { ["--urls=http://127.0.0.1:0;http://[::1]:0"] },
        { ["--Kestrel:Endpoints:Web:Url=http://[::1]:0"] },
        // Kestrel:Endpoints override urls...
        { ["--Kestrel:Endpoints:Web:Url=http://127.0.0.1:0", "--urls=http://0.0.0.0:0"] },
        // ...unless preferHostingUrls says otherwise.
        { ["--Kestrel:Endpoints:Web:Url=http://0.0.0.0:0", "--urls=http://127.0.0.1:0", "--preferHostingUrls=true"] },
    };

    [Theory]
    [MemberData(nameof(LoopbackBindings))]
    public async Task Without_api_keys_it_runs_on_loopback_and_knows_the_addresses_it_bound(string[] binding)
    {
        await using var app = CoordServiceApp.Build(binding);
        await app.StartAsync();
        var bound = app.Services.GetRequiredService<ListenGuard>().BoundAddresses;
        Assert.NotEmpty(bound);
        Assert.All(bound, a => Assert.True(BindingGuard.IsLoopback(a), $"{a} is not loopback"));
        Assert.All(bound, a => Assert.DoesNotMatch(@":0$", a));
        using var client = new HttpClient { BaseAddress = new Uri(bound[0]) };
        Assert.Equal(System.Net.HttpStatusCode.OK, (await client.GetAsync("/healthz")).StatusCode);
        await app.StopAsync();
    }

    [Fact]
    public async Task With_an_api_key_it_may_listen_on_every_interface()
    {
        await using var app = CoordServiceApp.Build(["--urls=http://0.0.0.0:0", $"--Coord:ApiKeys:0={ServiceHost.ApiKey}"]);
        await app.StartAsync();
        Assert.Contains(app.Services.GetRequiredService<ListenGuard>().BoundAddresses, a => !BindingGuard.IsLoopback(a));
        await app.StopAsync();
    }

    [Theory]
    [InlineData("http://127.0.0.1:5080", true)]
    [InlineData("http://localhost:5080", true)]
    [InlineData("http://[::1]:5080", true)]
    [InlineData("http://127.8.9.10:1", true)]
    [InlineData("http://0.0.0.0:5080", false)]
    [InlineData("http://+:5080", false)]
    [InlineData("http://example.com:5080", false)]
    [InlineData("http://[::]:5080", false)]
    public void Loopback_addresses_are_told_apart(string address, bool loopback)
        => Assert.Equal(loopback, BindingGuard.IsLoopback(address));

    [Theory]
    [InlineData("--Coord:Locks:Backends:x:Type=mongo", "not a lock backend type")]
    [InlineData("--Coord:Locks:Backends:x:Configuration=127.0.0.1:6379", "Type is required")]
    [InlineData("--Coord:Locks:Backends:r:Type=redis", "Configuration")]
    [InlineData("--Coord:Locks:Default=nope", "not a configured backend")]
    [InlineData("--Coord:Limits:MaxTtl=2.00:00:00", "MaxTtl")]
    [InlineData("--Coord:ApiKeys:0=short", "at least 16 characters")]
    public void A_configuration_mistake_stops_start_up_naming_the_setting(string setting, string expected)
    {
        var error = Assert.ThrowsAny<ArgumentException>(() => CoordServiceApp.Build(["--urls=http://127.0.0.1:0", setting]));
        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_misspelt_backend_setting_is_refused_rather_than_ignored()
    {
        var error = Assert.ThrowsAny<ArgumentException>(() => CoordServiceApp.Build([
            "--urls=http://127.0.0.1:0", "--Coord:Locks:Backends:r:Type=redis", "--Coord:Locks:Backends:r:Configuration=127.0.0.1:1", "--Coord:Locks:Backends:r:KeyPrefx=x:"]));
        Assert.Contains("unknown setting 'KeyPrefx'", error.Message, StringComparison.Ordinal);
        Assert.Contains("KeyPrefix", error.Message, StringComparison.Ordinal);
    }
}
