using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace Coord.Service.Tests.Infrastructure;

/// <summary>The lock endpoints as a test calls them: raw responses, so tests can assert status codes and bodies.</summary>
public sealed class LockApi(HttpClient client, string? backend = null)
{
    public const string HolderTokenHeader = "Coord-Holder-Token";

    public HttpClient Client => client;

    /// <summary><c>/v1/locks/</c> plus the name with every segment percent-encoded and '/' kept.</summary>
    public string Url(string name) =>
        "/v1/locks/" + string.Join("/", name.Split('/').Select(Uri.EscapeDataString)) + (backend is null ? "" : $"?backend={Uri.EscapeDataString(backend)}");

    public Task<HttpResponseMessage> AcquireAsync(string name, long? ttlMs = null, long? waitMs = null, CancellationToken cancellationToken = default)
        => client.PostAsJsonAsync(Url(name), new { ttlMs, waitMs }, cancellationToken);

    /// <summary>An acquire that names itself, so that <see cref="CancelAttemptAsync"/> can take it back.</summary>
    public Task<HttpResponseMessage> AcquireWithAttemptAsync(string name, string attemptId, long? ttlMs = null, long? waitMs = null, CancellationToken cancellationToken = default)
        => client.PostAsJsonAsync(Url(name), new { ttlMs, waitMs, attemptId }, cancellationToken);

    public Task<HttpResponseMessage> CancelAttemptAsync(string attemptId)
        => client.DeleteAsync("/v1/lock-attempts/" + Uri.EscapeDataString(attemptId));

    public static string NewAttemptId() => Guid.NewGuid().ToString("N");

    public Task<HttpResponseMessage> RenewAsync(string name, string holderToken, long ttlMs)
    {
        var request = new HttpRequestMessage(HttpMethod.Put, Url(name)) { Content = JsonContent.Create(new { ttlMs }) };
        request.Headers.Add(HolderTokenHeader, holderToken);
        return client.SendAsync(request);
    }

    public Task<HttpResponseMessage> ReleaseAsync(string name, string holderToken)
    {
        var request = new HttpRequestMessage(HttpMethod.Delete, Url(name));
        request.Headers.Add(HolderTokenHeader, holderToken);
        return client.SendAsync(request);
    }

    public Task<HttpResponseMessage> StatusAsync(string name) => client.GetAsync(Url(name));

    /// <summary>Acquires and asserts 200; returns the parsed lease.</summary>
    public async Task<Lease> HoldAsync(string name, long? ttlMs = null, long? waitMs = null)
    {
        using var response = await AcquireAsync(name, ttlMs, waitMs);
        return await Lease.ReadAsync(response);
    }

    public async Task<JsonElement> StatusJsonAsync(string name)
    {
        using var response = await StatusAsync(name);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await response.Content.ReadFromJsonAsync<JsonElement>();
    }

    /// <summary>An acquire answer.</summary>
    public sealed record Lease(string Name, string Backend, string HolderToken, string? FencingToken, long TtlMs, DateTimeOffset ExpiresAt)
    {
        public static async Task<Lease> ReadAsync(HttpResponseMessage response)
        {
            var body = await response.Content.ReadAsStringAsync();
            Assert.True(response.StatusCode == HttpStatusCode.OK, $"acquire answered {(int)response.StatusCode}: {body}");
            return JsonSerializer.Deserialize<Lease>(body, JsonSerializerOptions.Web)!;
        }
    }
}
