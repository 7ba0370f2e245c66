using Coord.Service.Hosting;
using Coord.Service.Tests.Infrastructure;

namespace Coord.Service.Tests.Hosting;

/// <summary>What the service refuses at start-up, with a message that says what to change.</summary>
public sealed class StartupTests
{
    [Theory]
    [InlineData("--urls=http://0.0.0.0:0")]
    [InlineData("--urls=http://127.0.0.1:0;http://[::]:0")]
    [InlineData("--urls=http://*:0")]
    [InlineData("--http_ports=8080")]
    [InlineData("--Kestrel:Endpoints:Web:Url=http://10.1.2.3:8080")]
    public void Without_api_keys_it_refuses_to_listen_beyond_loopback(string binding)
    {
        var error = Assert.Throws<InvalidOperationException>(() => CoordServiceApp.Build([binding]));
        Assert.Contains("without API keys", error.Message, StringComparison.Ordinal);
        Assert.Contains("Coord:ApiKeys", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task With_an_api_key_it_may_listen_on_every_interface()
    {
        var app = CoordServiceApp.Build(["--urls=http://0.0.0.0:0", $"--Coord:ApiKeys:0={ServiceHost.ApiKey}"]);
        await app.DisposeAsync();
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
