using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.RegularExpressions;
using Coord.Service.Tests.Infrastructure;

namespace Coord.Service.Tests.BadRequests;

/// <summary>
/// Every kind of bad request gets the right 4xx as problem+json with a code and a detail, and neither the
/// service nor the lock held by the fixture notices: after each one the hold is unchanged and the
/// service still answers.
/// </summary>
public sealed partial class BadRequestTests(BadRequestFixture fixture) : IClassFixture<BadRequestFixture>
{
    private static readonly string HeldUrl = "/v1/locks/" + BadRequestFixture.HeldName;
    private const string SomeToken = "0123456789abcdef0123456789abcdef";

    private sealed record Case(Func<BadRequestFixture, HttpRequestMessage> Request, HttpStatusCode Status, string Code, bool WithoutKey = false, string? ApiKey = null);

    private static HttpRequestMessage Json(HttpMethod method, string url, string json, string? token = null)
    {
        var request = new HttpRequestMessage(method, url) { Content = new StringContent(json, Encoding.UTF8, "application/json") };
        if (token is not null)
            request.Headers.Add(LockApi.HolderTokenHeader, token);
        return request;
    }

    private static HttpRequestMessage Send(HttpMethod method, string url, string? token = null)
    {
        var request = new HttpRequestMessage(method, url);
        if (token is not null)
            request.Headers.TryAddWithoutValidation(LockApi.HolderTokenHeader, token);
        return request;
    }

    private static readonly Dictionary<string, Case> Cases = new()
    {
        // Names
        ["name too long (257)"] = new(_ => Json(HttpMethod.Post, "/v1/locks/" + new string('n', 257), "{}"), HttpStatusCode.BadRequest, "invalid_request"),
        ["name with a control character"] = new(_ => Json(HttpMethod.Post, "/v1/locks/bad%0Aname", "{}"), HttpStatusCode.BadRequest, "invalid_request"),
        ["empty name"] = new(_ => Json(HttpMethod.Post, "/v1/locks/", "{}"), HttpStatusCode.BadRequest, "invalid_request"),
        ["name with a byte that is not UTF-8"] = new(_ => Json(HttpMethod.Post, "/v1/locks/a%FF", "{}"), HttpStatusCode.BadRequest, "invalid_request"),
        ["name with an overlong UTF-8 encoding of '/'"] = new(_ => Json(HttpMethod.Post, "/v1/locks/a%C0%AFb", "{}"), HttpStatusCode.BadRequest, "invalid_request"),
        ["name with a UTF-8 sequence cut short"] = new(_ => Send(HttpMethod.Get, "/v1/locks/caf%C3"), HttpStatusCode.BadRequest, "invalid_request"),
        ["name with an encoded lone surrogate"] = new(_ => Send(HttpMethod.Get, "/v1/locks/x%ED%A0%80"), HttpStatusCode.BadRequest, "invalid_request"),
        ["status of a name too long"] = new(_ => Send(HttpMethod.Get, "/v1/locks/" + new string('s', 300)), HttpStatusCode.BadRequest, "invalid_request"),
        // TTLs and waits
        ["ttl below the minimum"] = new(_ => Json(HttpMethod.Post, "/v1/locks/t1", """{"ttlMs":5}"""), HttpStatusCode.BadRequest, "invalid_request"),
        ["ttl zero"] = new(_ => Json(HttpMethod.Post, "/v1/locks/t2", """{"ttlMs":0}"""), HttpStatusCode.BadRequest, "invalid_request"),
        ["ttl negative"] = new(_ => Json(HttpMethod.Post, "/v1/locks/t3", """{"ttlMs":-1000}"""), HttpStatusCode.BadRequest, "invalid_request"),
        ["ttl above the maximum"] = new(_ => Json(HttpMethod.Post, "/v1/locks/t4", """{"ttlMs":86400001}"""), HttpStatusCode.BadRequest, "invalid_request"),
        ["renew with a ttl above the maximum"] = new(f => Json(HttpMethod.Put, HeldUrl, """{"ttlMs":999999999}""", f.Held.HolderToken), HttpStatusCode.BadRequest, "invalid_request"),
        ["wait negative"] = new(_ => Json(HttpMethod.Post, "/v1/locks/w1", """{"waitMs":-1}"""), HttpStatusCode.BadRequest, "invalid_request"),
        ["wait above the maximum"] = new(_ => Json(HttpMethod.Post, "/v1/locks/w2", """{"waitMs":3600000}"""), HttpStatusCode.BadRequest, "invalid_request"),
        // JSON
        ["malformed JSON"] = new(_ => Json(HttpMethod.Post, "/v1/locks/j1", """{"ttlMs":"""), HttpStatusCode.BadRequest, "invalid_json"),
        ["ttl as a string"] = new(_ => Json(HttpMethod.Post, "/v1/locks/j2", """{"ttlMs":"soon"}"""), HttpStatusCode.BadRequest, "invalid_json"),
        ["unknown JSON field"] = new(_ => Json(HttpMethod.Post, "/v1/locks/j3", """{"ttl":1000}"""), HttpStatusCode.BadRequest, "invalid_json"),
        ["JSON array instead of an object"] = new(_ => Json(HttpMethod.Post, "/v1/locks/j4", "[1,2]"), HttpStatusCode.BadRequest, "invalid_json"),
        ["ttl with a fraction"] = new(_ => Json(HttpMethod.Post, "/v1/locks/j5", """{"ttlMs":1500.5}"""), HttpStatusCode.BadRequest, "invalid_json"),
        ["text instead of JSON"] = new(_ => new HttpRequestMessage(HttpMethod.Post, "/v1/locks/j6") { Content = new StringContent("ttl=5", Encoding.UTF8, "text/plain") }, HttpStatusCode.UnsupportedMediaType, "unsupported_media_type"),
        ["oversized body"] = new(_ => Json(HttpMethod.Post, "/v1/locks/big", "{\"ttlMs\":1000" + new string(' ', 64 * 1024) + "}"), HttpStatusCode.RequestEntityTooLarge, "body_too_large"),
        // API keys
        ["no API key"] = new(_ => Send(HttpMethod.Get, HeldUrl), HttpStatusCode.Unauthorized, "unauthorized", WithoutKey: true),
        ["wrong API key"] = new(_ => Send(HttpMethod.Delete, HeldUrl, SomeToken), HttpStatusCode.Unauthorized, "unauthorized", ApiKey: "not-the-key-but-long-enough"),
        ["API key as Basic auth"] = new(_ => { var r = Send(HttpMethod.Get, "/readyz"); r.Headers.Authorization = new AuthenticationHeaderValue("Basic", ServiceHost.ApiKey); return r; }, HttpStatusCode.Unauthorized, "unauthorized", WithoutKey: true),
        ["no API key on metrics"] = new(_ => Send(HttpMethod.Get, "/metrics"), HttpStatusCode.Unauthorized, "unauthorized", WithoutKey: true),
        ["no API key on ids"] = new(_ => Send(HttpMethod.Get, "/v1/ids/snowflake"), HttpStatusCode.Unauthorized, "unauthorized", WithoutKey: true),
        // Holder tokens
        ["renew without a ttl"] = new(f => Json(HttpMethod.Put, HeldUrl, "{}", f.Held.HolderToken), HttpStatusCode.BadRequest, "invalid_request"),
        ["renew without a holder token"] = new(_ => Json(HttpMethod.Put, HeldUrl, """{"ttlMs":60000}"""), HttpStatusCode.BadRequest, "invalid_request"),
        ["release without a holder token"] = new(_ => Send(HttpMethod.Delete, HeldUrl), HttpStatusCode.BadRequest, "invalid_request"),
        ["release with a malformed holder token"] = new(_ => Send(HttpMethod.Delete, HeldUrl, "not-a-token"), HttpStatusCode.BadRequest, "invalid_request"),
        ["release with an uppercase holder token"] = new(f => Send(HttpMethod.Delete, HeldUrl, f.Held.HolderToken.ToUpperInvariant()), HttpStatusCode.BadRequest, "invalid_request"),
        ["release with the wrong holder token"] = new(_ => Send(HttpMethod.Delete, HeldUrl, SomeToken), HttpStatusCode.Conflict, "not_holder"),
        ["renew with the wrong holder token"] = new(_ => Json(HttpMethod.Put, HeldUrl, """{"ttlMs":1000}""", SomeToken), HttpStatusCode.Conflict, "not_holder"),
        ["release the held lock's token on another name"] = new(f => Send(HttpMethod.Delete, "/v1/locks/held/other", f.Held.HolderToken), HttpStatusCode.Conflict, "not_holder"),
        ["acquire the held lock"] = new(_ => Json(HttpMethod.Post, HeldUrl, "{}"), HttpStatusCode.Conflict, "lock_held"),
        // Backends
        ["unknown backend"] = new(_ => Json(HttpMethod.Post, "/v1/locks/b1?backend=mongo", "{}"), HttpStatusCode.BadRequest, "unknown_backend"),
        ["unknown backend on release"] = new(f => Send(HttpMethod.Delete, HeldUrl + "?backend=redis", f.Held.HolderToken), HttpStatusCode.BadRequest, "unknown_backend"),
        // IDs
        ["count zero"] = new(_ => Send(HttpMethod.Get, "/v1/ids/snowflake?count=0"), HttpStatusCode.BadRequest, "invalid_request"),
        ["count negative"] = new(_ => Send(HttpMethod.Get, "/v1/ids/uuid?count=-5"), HttpStatusCode.BadRequest, "invalid_request"),
        ["count above 10,000"] = new(_ => Send(HttpMethod.Get, "/v1/ids/snowflake?count=10001"), HttpStatusCode.BadRequest, "invalid_request"),
        ["count not a number"] = new(_ => Send(HttpMethod.Get, "/v1/ids/uuid?count=many"), HttpStatusCode.BadRequest, "invalid_request"),
        ["count beyond int"] = new(_ => Send(HttpMethod.Get, "/v1/ids/snowflake?count=99999999999"), HttpStatusCode.BadRequest, "invalid_request"),
        ["uuid version 5"] = new(_ => Send(HttpMethod.Get, "/v1/ids/uuid?version=5"), HttpStatusCode.BadRequest, "invalid_request"),
        ["unknown segment tag"] = new(_ => Send(HttpMethod.Get, "/v1/ids/segment/no-such-tag"), HttpStatusCode.NotFound, "unknown_tag"),
        ["segment tag too long"] = new(_ => Send(HttpMethod.Get, "/v1/ids/segment/" + new string('t', 129)), HttpStatusCode.BadRequest, "invalid_request"),
        ["segment count above 10,000"] = new(_ => Send(HttpMethod.Get, "/v1/ids/segment/no-such-tag?count=20000"), HttpStatusCode.BadRequest, "invalid_request"),
        ["decode a non-number"] = new(_ => Send(HttpMethod.Get, "/v1/ids/snowflake/abc"), HttpStatusCode.BadRequest, "invalid_request"),
        ["decode a number beyond 64 bits"] = new(_ => Send(HttpMethod.Get, "/v1/ids/snowflake/99999999999999999999"), HttpStatusCode.BadRequest, "invalid_request"),
        // Routing
        ["unknown path"] = new(_ => Send(HttpMethod.Get, "/v2/locks/x"), HttpStatusCode.NotFound, "not_found"),
        ["method not allowed"] = new(_ => Send(HttpMethod.Patch, HeldUrl), HttpStatusCode.MethodNotAllowed, "method_not_allowed"),
    };

    public static TheoryData<string> CaseNames => new(Cases.Keys);

    [Theory]
    [MemberData(nameof(CaseNames))]
    public async Task A_bad_request_gets_its_4xx_as_problem_json_and_changes_nothing(string caseName)
    {
        var @case = Cases[caseName];
        using var client = @case.WithoutKey ? fixture.Host.NewClient(null) : fixture.Host.NewClient(@case.ApiKey ?? ServiceHost.ApiKey);
        var before = await fixture.Locks.StatusJsonAsync(BadRequestFixture.HeldName);

        using (var request = @case.Request(fixture))
        using (var response = await client.SendAsync(request))
        {
            var problem = await ProblemAssert.IsProblemAsync(response, @case.Status, @case.Code);
            var detail = problem.GetProperty("detail").GetString()!;
            Assert.False(DotNetTypeName().IsMatch(detail), $"'{caseName}': the detail names a .NET type: {detail}");
        }

        var after = await fixture.Locks.StatusJsonAsync(BadRequestFixture.HeldName);
        Assert.True(after.GetProperty("held").GetBoolean(), $"'{caseName}' disturbed the held lock");
        Assert.Equal(before.GetProperty("fencingToken").GetString(), after.GetProperty("fencingToken").GetString());
        Assert.True(after.GetProperty("expiresInMs").GetInt64() > 60_000, $"'{caseName}' shortened the held lock: {after}");
        using var health = await fixture.Host.NewClient(null).GetAsync("/healthz");
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
    }

    [Fact]
    public void There_are_at_least_thirty_kinds_of_bad_request() => Assert.True(Cases.Count >= 30, $"{Cases.Count} cases");

    [Fact]
    public async Task The_holder_can_still_renew_after_all_the_bad_requests()
    {
        using var renewed = await fixture.Locks.RenewAsync(BadRequestFixture.HeldName, fixture.Held.HolderToken, ttlMs: 600_000);
        Assert.Equal(HttpStatusCode.OK, renewed.StatusCode);
    }

    [Fact]
    public async Task Percent_encoded_bytes_that_are_not_UTF_8_name_no_lock_so_two_urls_never_name_one_lock()
    {
        var name = $"utf8/{Guid.NewGuid():N}/%FF";
        // The literal text "%FF", properly encoded, is a lock of its own...
        var literal = await fixture.Locks.HoldAsync(name);
        Assert.Equal(name, literal.Name);
        // ...and the raw byte 0xFF is refused rather than read as that same text.
        using var raw = await fixture.Host.Client.PostAsync($"/v1/locks/utf8/{name.Split('/')[1]}/%FF", null);
        var problem = await ProblemAssert.IsProblemAsync(raw, HttpStatusCode.BadRequest, "invalid_request");
        Assert.Contains("UTF-8", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        using (await fixture.Locks.ReleaseAsync(name, literal.HolderToken)) { }
    }

    [GeneratedRegex(@"\b(System|Microsoft|Coord)\.[A-Z]|`\d|\bNullable\b|\bInt(32|64)\b|LockBody\b")]
    private static partial Regex DotNetTypeName();
}
