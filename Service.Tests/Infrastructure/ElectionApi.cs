using System.Net.Http.Json;
using System.Text.Json;

namespace Coord.Service.Tests.Infrastructure;

/// <summary>The election endpoints as a test calls them: raw responses, so tests can assert status codes and bodies.</summary>
public sealed class ElectionApi(HttpClient client, string? backend = null)
{
    public HttpClient Client => client;

    /// <summary><c>/v1/elections/</c>, the name with every segment percent-encoded and '/' kept, then the action.</summary>
    public string Url(string name, string? action = null, string? query = null)
    {
        var path = "/v1/elections/" + string.Join("/", name.Split('/').Select(Uri.EscapeDataString)) + (action is null ? "" : "/" + action);
        var parts = new[] { backend is null ? null : $"backend={Uri.EscapeDataString(backend)}", query }.Where(p => p is not null);
        var joined = string.Join("&", parts);
        return joined.Length == 0 ? path : path + "?" + joined;
    }

    public Task<HttpResponseMessage> CampaignAsync(string name, string? value, long? ttlMs = null, long? waitMs = null, string? attemptId = null)
        => client.PostAsJsonAsync(Url(name, "campaign"), new { value, ttlMs, waitMs, attemptId });

    public Task<HttpResponseMessage> RenewAsync(string name, string holderToken, long ttlMs)
    {
        var request = new HttpRequestMessage(HttpMethod.Put, Url(name)) { Content = JsonContent.Create(new { ttlMs }) };
        request.Headers.Add(LockApi.HolderTokenHeader, holderToken);
        return client.SendAsync(request);
    }

    public Task<HttpResponseMessage> ResignAsync(string name, string holderToken)
    {
        var request = new HttpRequestMessage(HttpMethod.Delete, Url(name));
        request.Headers.Add(LockApi.HolderTokenHeader, holderToken);
        return client.SendAsync(request);
    }

    public Task<HttpResponseMessage> LeaderAsync(string name) => client.GetAsync(Url(name));

    /// <summary>Campaigns and asserts 200; returns the parsed leadership.</summary>
    public async Task<Leadership> LeadAsync(string name, string value, long? ttlMs = null, long? waitMs = null)
    {
        using var response = await CampaignAsync(name, value, ttlMs, waitMs);
        return await Leadership.ReadAsync(response);
    }

    public async Task<Leader> LeaderJsonAsync(string name)
    {
        using var response = await LeaderAsync(name);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == System.Net.HttpStatusCode.OK, $"leader answered {(int)response.StatusCode}: {body}");
        return JsonSerializer.Deserialize<Leader>(body, JsonSerializerOptions.Web)!;
    }

    /// <summary>A campaign answer.</summary>
    public sealed record Leadership(string Name, string Backend, string HolderToken, string Term, string Value, long TtlMs, DateTimeOffset ExpiresAt)
    {
        public long TermNumber => long.Parse(Term, System.Globalization.CultureInfo.InvariantCulture);

        public static async Task<Leadership> ReadAsync(HttpResponseMessage response)
        {
            var body = await response.Content.ReadAsStringAsync();
            Assert.True(response.StatusCode == System.Net.HttpStatusCode.OK, $"campaign answered {(int)response.StatusCode}: {body}");
            return JsonSerializer.Deserialize<Leadership>(body, JsonSerializerOptions.Web)!;
        }
    }

    /// <summary>A leader answer, and the data of each observed event.</summary>
    public sealed record Leader(string Name, string Backend, bool HasLeader, string? Value, string? Term)
    {
        public long TermNumber => long.Parse(Term!, System.Globalization.CultureInfo.InvariantCulture);
    }
}
