using Coord.Locks;
using Microsoft.Extensions.DependencyInjection;

namespace Coord.Client.Tests.Options;

/// <summary>Every setting's range, checked at registration with a message naming the setting and what is allowed.</summary>
public sealed class ClientOptionsTests
{
    private static readonly Uri Address = new("http://127.0.0.1:5999/");

    public static TheoryData<string, string> BadSettings => new()
    {
        { "none", "BaseAddress is required" },
        { "relative", "absolute http:// or https://" },
        { "ftp", "absolute http:// or https://" },
        { "query", "may not have a query" },
        { "key-space", "ApiKey must be a non-empty key" },
        { "key-empty", "ApiKey must be a non-empty key" },
        { "backend", "Backend must be a service backend name" },
        { "wait-zero", "MaxWaitPerRequest must be more than 0" },
        { "wait-long", "at most 10 minutes" },
        { "min-ttl-low", "MinTtl and MaxTtl must satisfy" },
        { "min-above-max", "MinTtl and MaxTtl must satisfy" },
        { "max-ttl-high", "MinTtl and MaxTtl must satisfy" },
        { "default-outside", "DefaultTtl must lie between MinTtl" },
        { "retries-negative", "MaxRetries must be between 0 and 10" },
        { "retries-many", "MaxRetries must be between 0 and 10" },
        { "retry-delay", "RetryDelay must be more than 0" },
        { "batch-zero", "MaxIdBatchSize must be between 1 and 1,000,000" },
        { "batch-huge", "MaxIdBatchSize must be between 1 and 1,000,000" },
        { "initial-batch", "InitialIdBatchSize must be between 1 and MaxIdBatchSize" },
        { "connect-timeout", "ConnectTimeout must be more than 0" },
    };

    [Theory]
    [MemberData(nameof(BadSettings))]
    public void Bad_settings_fail_at_registration_naming_the_setting(string setting, string expected)
    {
        var services = new ServiceCollection();
        var ex = Assert.ThrowsAny<ArgumentException>(() => services.AddCoordClient(o => Apply(o, setting)));
        Assert.Contains(expected, ex.Message, StringComparison.Ordinal);
        Assert.Empty(services);
        Assert.ThrowsAny<ArgumentException>(() => CoordClient.Create(o => Apply(o, setting)));
    }

    [Fact]
    public async Task The_ends_of_every_range_are_accepted()
    {
        await using var low = CoordClient.Create(o =>
        {
            o.BaseAddress = new Uri("https://coord.example:8443/base");
            o.ApiKey = "k";
            o.Backend = new string('b', 64);
            o.MaxWaitPerRequest = TimeSpan.FromTicks(1);
            o.MinTtl = LockOptions.MinimumTtl;
            o.MaxTtl = LockOptions.MinimumTtl;
            o.DefaultTtl = LockOptions.MinimumTtl;
            o.MaxRetries = 0;
            o.MaxIdBatchSize = 1;
            o.InitialIdBatchSize = 1;
        });
        Assert.Equal(LockOptions.MinimumTtl, low.Locks.MinimumTtl);
        Assert.Equal(LockOptions.MinimumTtl, low.Locks.MaximumTtl);
        // A base address without a trailing slash still keeps its path.
        Assert.Equal("https://coord.example:8443/base/", low.BaseAddress.ToString());

        await using var high = CoordClient.Create(o =>
        {
            o.BaseAddress = Address;
            o.MaxWaitPerRequest = TimeSpan.FromMinutes(10);
            o.MaxTtl = LockOptions.MaximumTtl;
            o.DefaultTtl = LockOptions.MaximumTtl;
            o.MaxRetries = 10;
            o.RetryDelay = TimeSpan.FromSeconds(30);
            o.MaxIdBatchSize = CoordClientOptions.MaximumIdBatchSize;
            o.InitialIdBatchSize = CoordClientOptions.MaximumIdBatchSize;
        });
        Assert.Equal(LockOptions.MaximumTtl, high.Locks.MaximumTtl);
    }

    [Fact]
    public async Task Registration_gives_one_client_whose_locks_are_the_ILock()
    {
        var services = new ServiceCollection();
        services.AddCoordClient(o => o.BaseAddress = Address);
        await using var provider = services.BuildServiceProvider();
        var client = provider.GetRequiredService<CoordClient>();
        Assert.Same(client, provider.GetRequiredService<CoordClient>());
        Assert.Same(client.Locks, provider.GetRequiredService<ILock>());
        Assert.Equal(Address, client.BaseAddress);
    }

    private static void Apply(CoordClientOptions o, string setting)
    {
        o.BaseAddress = Address;
        switch (setting)
        {
            case "none": o.BaseAddress = null; break;
            case "relative": o.BaseAddress = new Uri("coord/", UriKind.Relative); break;
            case "ftp": o.BaseAddress = new Uri("ftp://127.0.0.1/"); break;
            case "query": o.BaseAddress = new Uri("http://127.0.0.1/?backend=redis"); break;
            case "key-space": o.ApiKey = "a key"; break;
            case "key-empty": o.ApiKey = ""; break;
            case "backend": o.Backend = "no/such"; break;
            case "wait-zero": o.MaxWaitPerRequest = TimeSpan.Zero; break;
            case "wait-long": o.MaxWaitPerRequest = TimeSpan.FromMinutes(10) + TimeSpan.FromTicks(1); break;
            case "min-ttl-low": o.MinTtl = LockOptions.MinimumTtl - TimeSpan.FromTicks(1); break;
            case "min-above-max": o.MinTtl = TimeSpan.FromMinutes(2); o.MaxTtl = TimeSpan.FromMinutes(1); break;
            case "max-ttl-high": o.MaxTtl = LockOptions.MaximumTtl + TimeSpan.FromTicks(1); break;
            case "default-outside": o.MaxTtl = TimeSpan.FromSeconds(10); break;
            case "retries-negative": o.MaxRetries = -1; break;
            case "retries-many": o.MaxRetries = 11; break;
            case "retry-delay": o.RetryDelay = TimeSpan.Zero; break;
            case "batch-zero": o.MaxIdBatchSize = 0; break;
            case "batch-huge": o.MaxIdBatchSize = CoordClientOptions.MaximumIdBatchSize + 1; break;
            case "initial-batch": o.InitialIdBatchSize = 20_000; break;
            case "connect-timeout": o.ConnectTimeout = TimeSpan.Zero; break;
        }
    }
}
