#:sdk Microsoft.NET.Sdk.Web
#:property PublishAot=false
// Throughput of the REST service over loopback against a floor measured in the same run: a bare
// minimal-API endpoint that returns a constant, in its own process like the service.
// The service (Service/bin/Release/net10.0/Coord.Service.dll unless given) is started by this program, in
// dev mode with the default configuration (nothing but --urls). Release, like the service:
//   dotnet build Service -c Release && dotnet run -c Release Service/measure/measure.cs -- [seconds per phase, default 5] [Coord.Service.dll]
// Prints, for 1 and 8 keep-alive connections (one client loop per connection, each target warmed up for 10 s first): the bare endpoint's
// requests/s, the service's acquire+release pairs/s, and their ratio (the goal is at least 0.4), with the CPU each server
// process and this client spent per HTTP request; then one line with both ratios, and ids/s in 1,000-id batches.
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Reflection;
using System.Text.Json;

if (args is ["bare", var barePort])
{
    // The floor: Kestrel, routing and one minimal-API endpoint, nothing else.
    var builder = WebApplication.CreateSlimBuilder();
    builder.Logging.ClearProviders();
    builder.WebHost.UseUrls($"http://127.0.0.1:{barePort}");
    var bare = builder.Build();
    bare.MapGet("/", () => "ok");
    await bare.RunAsync();
    return;
}

var seconds = args.Length > 0 ? double.Parse(args[0], CultureInfo.InvariantCulture) : 5;
// dotnet run starts a file-based program in its own folder: find the service's build from this file.
var serviceDll = Path.GetFullPath(args.Length > 1 ? args[1] : Path.Combine(Path.GetDirectoryName(ThisFile())!, "..", "bin", "Release", "net10.0", "Coord.Service.dll"));
var duration = TimeSpan.FromSeconds(seconds);

// Each target runs this long at each connection count before it is measured. The tiered JIT (tier 0, then
// instrumented, then optimised with dynamic PGO) was still compiling the service's many methods 3 s into a
// load (a fifth of its CPU was in the JIT), while the bare endpoint has little code to compile: with a 1 s
// warm-up the ratio measured the JIT. Both targets get the same warm-up.
var warmUp = TimeSpan.FromSeconds(10);

var barePortNumber = FreePort();
var servicePort = FreePort();
var self = Environment.ProcessPath!.EndsWith("dotnet", StringComparison.Ordinal)
    ? ("dotnet", new[] { Path.Combine(AppContext.BaseDirectory, Assembly.GetEntryAssembly()!.GetName().Name + ".dll"), "bare", barePortNumber.ToString(CultureInfo.InvariantCulture) })
    : (Environment.ProcessPath!, new[] { "bare", barePortNumber.ToString(CultureInfo.InvariantCulture) });
using var bareProcess = StartChild(self.Item1, self.Item2);
using var serviceProcess = StartChild("dotnet", [serviceDll, "--urls", $"http://127.0.0.1:{servicePort}"]);
try
{
    var bareUrl = new Uri($"http://127.0.0.1:{barePortNumber}");
    var serviceUrl = new Uri($"http://127.0.0.1:{servicePort}");
    await WaitUntilUpAsync(bareUrl, "/");
    await WaitUntilUpAsync(serviceUrl, "/healthz");
    Console.WriteLine($"{seconds} s per phase, {Environment.ProcessorCount} cores, load average {LoadAverage()}; service {serviceDll} in dev mode, default configuration");
    Console.WriteLine("| connections | bare endpoint requests/s | acquire+release pairs/s | pairs/s ÷ bare requests/s | CPU µs per request: bare server, its client | CPU µs per request: service, its client |");
    Console.WriteLine("|---|---|---|---|---|---|");
    var ratios = new List<string>();
    foreach (var connections in new[] { 1, 8 })
    {
        using var bareClient = NewClient(bareUrl, connections);
        using var serviceClient = NewClient(serviceUrl, connections);
        await RunAsync(connections, _ => GetAsync(bareClient, "/"), warmUp);
        await RunAsync(connections, i => LockCycleAsync(serviceClient, $"warmup/{i}"), warmUp);
        var bareCpu = CpuMeter.Start(bareProcess);
        var (requests, bareElapsed) = await RunAsync(connections, _ => GetAsync(bareClient, "/"), duration);
        var bareCost = bareCpu.PerRequest(requests);
        var serviceCpu = CpuMeter.Start(serviceProcess);
        var (pairs, serviceElapsed) = await RunAsync(connections, i => LockCycleAsync(serviceClient, $"measure/{i}"), duration);
        var serviceCost = serviceCpu.PerRequest(2 * pairs);
        double bareRate = requests / bareElapsed.TotalSeconds, pairRate = pairs / serviceElapsed.TotalSeconds;
        Console.WriteLine($"| {connections} | {bareRate:N0} | {pairRate:N0} | {pairRate / bareRate:0.00} | {bareCost.Server:0.0}, {bareCost.Client:0.0} | {serviceCost.Server:0.0}, {serviceCost.Client:0.0} |");
        ratios.Add($"{connections} connection(s) {pairRate / bareRate:0.00}");
    }
    Console.WriteLine($"Ratios, acquire+release pairs/s ÷ bare requests/s (goal ≥ 0.40): {string.Join("; ", ratios)}");

    using var ids = NewClient(serviceUrl, 4);
    foreach (var path in new[] { "/v1/ids/snowflake?count=1000", "/v1/ids/segment/measure?count=1000", "/v1/ids/uuid?count=1000" })
    {
        foreach (var clients in new[] { 1, 4 })
        {
            await RunAsync(1, _ => BatchAsync(ids, path), TimeSpan.FromSeconds(1));
            var (batches, elapsed) = await RunAsync(clients, _ => BatchAsync(ids, path), duration);
            Console.WriteLine($"{path}, {clients} client(s): {batches / elapsed.TotalSeconds:N0} batches/s = {1000 * batches / elapsed.TotalSeconds:N0} ids/s");
        }
    }
}
finally
{
    foreach (var child in new[] { bareProcess, serviceProcess })
    {
        if (!child.HasExited)
            child.Kill(entireProcessTree: true);
        child.WaitForExit();
    }
}

static Process StartChild(string program, string[] arguments)
{
    var start = new ProcessStartInfo(program, arguments) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
    // Default configuration: nothing from this shell's environment.
    foreach (var key in start.Environment.Keys.Where(k => k.StartsWith("Coord__", StringComparison.OrdinalIgnoreCase) || k.StartsWith("ASPNETCORE_", StringComparison.OrdinalIgnoreCase) || k.StartsWith("Logging__", StringComparison.OrdinalIgnoreCase)).ToList())
        start.Environment.Remove(key);
    var process = Process.Start(start)!;
    process.OutputDataReceived += (_, _) => { };
    process.ErrorDataReceived += (_, e) => { if (e.Data is not null) Console.Error.WriteLine($"[{Path.GetFileName(program)}] {e.Data}"); };
    process.BeginOutputReadLine();
    process.BeginErrorReadLine();
    return process;
}

// One keep-alive connection per client loop.
static HttpClient NewClient(Uri baseAddress, int connections)
    => new(new SocketsHttpHandler { MaxConnectionsPerServer = connections, PooledConnectionIdleTimeout = TimeSpan.FromMinutes(5) }) { BaseAddress = baseAddress };

static async Task WaitUntilUpAsync(Uri baseAddress, string path)
{
    using var http = new HttpClient { BaseAddress = baseAddress, Timeout = TimeSpan.FromSeconds(5) };
    var deadline = Stopwatch.StartNew();
    while (true)
    {
        try
        {
            using var response = await http.GetAsync(path);
            if (response.IsSuccessStatusCode)
                return;
        }
        catch (HttpRequestException) when (deadline.Elapsed < TimeSpan.FromSeconds(60))
        {
        }
        await Task.Delay(100);
    }
}

// CPU time a server process and this client spent over one phase: the throughput ratio shares two cores between
// both, so these say which side a difference comes from.
static async Task<(long Operations, TimeSpan Elapsed)> RunAsync(int clients, Func<int, Task> operation, TimeSpan duration)
{
    long count = 0;
    var watch = Stopwatch.StartNew();
    await Task.WhenAll(Enumerable.Range(0, clients).Select(async i =>
    {
        while (watch.Elapsed < duration)
        {
            await operation(i);
            Interlocked.Increment(ref count);
        }
    }));
    return (count, watch.Elapsed);
}

static async Task GetAsync(HttpClient http, string path)
{
    using var response = await http.GetAsync(path);
    response.EnsureSuccessStatusCode();
    await response.Content.ReadAsStringAsync();
}

static async Task LockCycleAsync(HttpClient http, string name)
{
    // A body of known length, as curl, browsers and most HTTP libraries send one. PostAsJsonAsync would
    // stream it with chunked transfer encoding, which costs both sides far more than the 16 bytes it carries.
    using var body = new StringContent("""{"ttlMs":10000}""", System.Text.Encoding.UTF8, "application/json");
    using var acquired = await http.PostAsync($"/v1/locks/{name}", body);
    acquired.EnsureSuccessStatusCode();
    var token = (await acquired.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("holderToken").GetString();
    using var release = new HttpRequestMessage(HttpMethod.Delete, $"/v1/locks/{name}");
    release.Headers.Add("Coord-Holder-Token", token);
    using var released = await http.SendAsync(release);
    released.EnsureSuccessStatusCode();
}

static async Task BatchAsync(HttpClient http, string path)
{
    using var response = await http.GetAsync(path, HttpCompletionOption.ResponseContentRead);
    response.EnsureSuccessStatusCode();
    var ids = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("ids");
    if (ids.GetArrayLength() != 1000)
        throw new InvalidOperationException($"{path} returned {ids.GetArrayLength()} ids");
}

static int FreePort()
{
    using var listener = new TcpListener(IPAddress.Loopback, 0);
    listener.Start();
    return ((IPEndPoint)listener.LocalEndpoint).Port;
}

static string ThisFile([System.Runtime.CompilerServices.CallerFilePath] string path = "") => path;

static string LoadAverage() => File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Split(' ')[0] : "n/a";

/// <summary>CPU time a server process and this client spend over one phase: the ratio shares two cores between both, so these say which side a difference comes from.</summary>
sealed class CpuMeter
{
    private readonly Process _server;
    private readonly TimeSpan _server0, _client0;

    private CpuMeter(Process server)
    {
        _server = server;
        (_server0, _client0) = Now(server);
    }

    public static CpuMeter Start(Process server) => new(server);

    /// <summary>Microseconds of CPU per HTTP request since <see cref="Start"/>, in the server and in this client.</summary>
    public (double Server, double Client) PerRequest(long requests)
    {
        var (server, client) = Now(_server);
        return ((server - _server0).TotalMicroseconds / requests, (client - _client0).TotalMicroseconds / requests);
    }

    private static (TimeSpan Server, TimeSpan Client) Now(Process server)
    {
        server.Refresh();
        using var self = Process.GetCurrentProcess();
        return (server.TotalProcessorTime, self.TotalProcessorTime);
    }
}
