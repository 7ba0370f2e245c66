using Coord.Service.Hosting;
using Microsoft.Extensions.DependencyInjection;

namespace Coord.Service.Tests.Hosting;

/// <summary>Every <c>Coord:*</c> section refuses keys it would not apply, not only misspelt ones.</summary>
public sealed class StrictConfigurationTests
{
    [Theory]
    [InlineData("--Coord:Limitz:MaxCount=5", "unknown setting 'Limitz'")]
    [InlineData("--Coord:Limits:MaxCnt=5", "unknown setting 'MaxCnt'")]
    [InlineData("--Coord:Limits:MaxCount:0=5", "is a single value")]
    [InlineData("--Coord:Locks:Defualt=redis", "unknown setting 'Defualt'")]
    public void A_key_that_would_not_be_applied_stops_start_up(string setting, string reason)
    {
        var error = Assert.ThrowsAny<ArgumentException>(() => CoordServiceApp.Build(["--urls=http://127.0.0.1:0", setting]));
        Assert.Contains(reason, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_single_value_given_for_a_list_setting_is_refused_rather_than_ignored()
    {
        var error = Assert.ThrowsAny<ArgumentException>(() => CoordServiceApp.Build([
            "--urls=http://127.0.0.1:0", "--Coord:Locks:Backends:e:Type=etcd", "--Coord:Locks:Backends:e:Endpoints=http://127.0.0.1:1"]));
        Assert.Contains("Coord:Locks:Backends:e:Endpoints is a list", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Limits_that_are_given_are_applied()
    {
        var app = CoordServiceApp.Build(["--urls=http://127.0.0.1:0", "--Coord:Limits:MaxCount=7"]);
        await using (app)
            Assert.Equal(7, app.Services.GetRequiredService<ServiceLimits>().MaxCount);
    }
}
