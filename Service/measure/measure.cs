#:property PublishAot=false
// Throughput of the REST service over loopback, measured from outside with plain HttpClient loops.
// Start the service first (dev mode: dotnet run -c Release --project Service), then:
//   dotnet run Service/measure/measure.cs -- http://127.0.0.1:5080 [seconds per phase] [api key]
// Prints acquire+release pairs/s (1 and 8 concurrent clients, distinct lock names) and ids/s for
// 1,000-id batches of snowflake, segment and uuid v7 (1 and 4 concurrent clients).
using System.Diagnostics;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;

var baseUrl = args.Length > 0 ? args[0] : "http://127.0.0.1:5080";
var seconds = args.Length > 1 ? double.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 5;
var apiKey = args.Length > 2 ? args[2] : null;

using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 64 }) { BaseAddress = new Uri(baseUrl) };
if (apiKey is not null)
    http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", apiKey);

Console.WriteLine($"Coord service at {baseUrl}, {seconds} s per phase, {Environment.ProcessorCount} cores");

foreach (var clients in new[] { 1, 8 })
{
    await RunAsync(1, _ => LockCycleAsync(http, "warmup/" + Guid.NewGuid().ToString("N")), TimeSpan.FromSeconds(1));
    var (ops, elapsed) = await RunAsync(clients, i => LockCycleAsync(http, $"measure/{i}"), TimeSpan.FromSeconds(seconds));
    Console.WriteLine($"acquire+release, {clients} client(s): {ops / elapsed.TotalSeconds:N0} pairs/s ({2 * ops / elapsed.TotalSeconds:N0} requests/s)");
}

foreach (var path in new[] { "/v1/ids/snowflake?count=1000", "/v1/ids/segment/measure?count=1000", "/v1/ids/uuid?count=1000" })
{
    foreach (var clients in new[] { 1, 4 })
    {
        await RunAsync(1, _ => BatchAsync(http, path), TimeSpan.FromSeconds(1));
        var (batches, elapsed) = await RunAsync(clients, _ => BatchAsync(http, path), TimeSpan.FromSeconds(seconds));
        Console.WriteLine($"{path}, {clients} client(s): {batches / elapsed.TotalSeconds:N0} batches/s = {1000 * batches / elapsed.TotalSeconds:N0} ids/s");
    }
}

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

static async Task LockCycleAsync(HttpClient http, string name)
{
    using var acquired = await http.PostAsJsonAsync($"/v1/locks/{name}", new { ttlMs = 10_000 });
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
