using System.Net.Http.Headers;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;

namespace Coord.Service.Tests.Infrastructure;

/// <summary>
/// One real instance of the service: Kestrel on a free loopback port, built by the same
/// <see cref="CoordServiceApp.Build"/> that <c>dotnet run --project Service</c> uses, configured through
/// command-line arguments. Tests talk to it over real HTTP.
/// </summary>
public sealed class ServiceHost : IAsyncDisposable
{
    /// <summary>The API key every test host accepts (unless started without keys).</summary>
    public const string ApiKey = "service-tests-api-key-0123456789";

    private readonly WebApplication _app;

    private ServiceHost(WebApplication app, Uri baseAddress, bool withApiKey)
    {
        _app = app;
        BaseAddress = baseAddress;
        Client = NewClient(withApiKey ? ApiKey : null);
    }

    public Uri BaseAddress { get; }

    /// <summary>A client that sends the API key (when the host has one).</summary>
    public HttpClient Client { get; }

    public IServiceProvider Services => _app.Services;

    public static async Task<ServiceHost> StartAsync(IReadOnlyDictionary<string, string>? settings = null, bool withApiKey = true)
    {
        var args = new List<string> { "--urls=http://127.0.0.1:0", "--Logging:LogLevel:Default=Warning" };
        if (withApiKey)
            args.Add($"--Coord:ApiKeys:0={ApiKey}");
        args.AddRange((settings ?? new Dictionary<string, string>()).Select(kv => $"--{kv.Key}={kv.Value}"));
        var app = CoordServiceApp.Build([.. args]);
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.First();
        return new ServiceHost(app, new Uri(address), withApiKey);
    }

    /// <summary>A new client against this host; <paramref name="apiKey"/> null sends no Authorization header.</summary>
    public HttpClient NewClient(string? apiKey)
    {
        var client = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(30) };
        if (apiKey is not null)
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", apiKey);
        return client;
    }

    /// <summary>Polls /readyz until it answers 200 (at most 30 s).</summary>
    public async Task WaitUntilReadyAsync()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (true)
        {
            using var response = await Client.GetAsync("/readyz", timeout.Token);
            if (response.IsSuccessStatusCode)
                return;
            await Task.Delay(200, timeout.Token);
        }
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
