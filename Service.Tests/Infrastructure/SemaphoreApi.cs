using System.Net.Http.Json;
using System.Text.Json;

namespace Coord.Service.Tests.Infrastructure;

/// <summary>The semaphore endpoints as a test calls them: raw responses, so tests can assert status codes and bodies.</summary>
public sealed class SemaphoreApi(HttpClient client, string? backend = null)
{
    public string Url(string name) =>
        "/v1/semaphores/" + string.Join("/", name.Split('/').Select(Uri.EscapeDataString)) + (backend is null ? "" : $"?backend={Uri.EscapeDataString(backend)}");

    public Task<HttpResponseMessage> AcquireAsync(string name, long? maxCount, long? ttlMs = null, long? waitMs = null, string? attemptId = null)
        => client.PostAsJsonAsync(Url(name), new { maxCount, ttlMs, waitMs, attemptId });

    public Task<HttpResponseMessage> RenewAsync(string name, string holderToken, long ttlMs)
    {
        var request = new HttpRequestMessage(HttpMethod.Put, Url(name)) { Content = JsonContent.Create(new { ttlMs }) };
        request.Headers.Add(LockApi.HolderTokenHeader, holderToken);
        return client.SendAsync(request);
    }

    public Task<HttpResponseMessage> ReleaseAsync(string name, string holderToken)
    {
        var request = new HttpRequestMessage(HttpMethod.Delete, Url(name));
        request.Headers.Add(LockApi.HolderTokenHeader, holderToken);
        return client.SendAsync(request);
    }

    /// <summary>Acquires and asserts 200; returns the parsed permit.</summary>
    public async Task<Permit> HoldAsync(string name, int maxCount, long? ttlMs = null, long? waitMs = null)
    {
        using var response = await AcquireAsync(name, maxCount, ttlMs, waitMs);
        return await Permit.ReadAsync(response);
    }

    /// <summary>An acquire answer.</summary>
    public sealed record Permit(string Name, string Backend, string HolderToken, string? FencingToken, int MaxCount, long TtlMs, DateTimeOffset ExpiresAt)
    {
        public long Fence => long.Parse(FencingToken!, System.Globalization.CultureInfo.InvariantCulture);

        public static async Task<Permit> ReadAsync(HttpResponseMessage response)
        {
            var body = await response.Content.ReadAsStringAsync();
            Assert.True(response.StatusCode == System.Net.HttpStatusCode.OK, $"acquire answered {(int)response.StatusCode}: {body}");
            return JsonSerializer.Deserialize<Permit>(body, JsonSerializerOptions.Web)!;
        }
    }
}
