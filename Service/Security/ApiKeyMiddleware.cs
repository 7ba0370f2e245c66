using System.Security.Cryptography;
using System.Text;
using Coord.Service.Errors;
using Microsoft.AspNetCore.Authorization;

namespace Coord.Service.Security;

/// <summary>
/// <c>Authorization: Bearer &lt;key&gt;</c> against the keys in <c>Coord:ApiKeys</c>, on every request except
/// endpoints marked <see cref="AllowAnonymousAttribute"/> (/healthz). A missing or wrong key gets 401
/// problem+json with <c>WWW-Authenticate: Bearer</c>. Keys are compared as SHA-256 hashes in fixed time,
/// so the answer time says nothing about how close a guess was.
/// </summary>
public sealed class ApiKeyMiddleware(IReadOnlyList<string> keys)
{
    private const string BearerPrefix = "Bearer ";
    private readonly byte[][] _keyHashes = keys.Select(Hash).ToArray();

    public async Task InvokeAsync(HttpContext http, RequestDelegate next)
    {
        if (http.GetEndpoint()?.Metadata.GetMetadata<IAllowAnonymous>() is not null)
        {
            await next(http);
            return;
        }
        var failure = Check(http.Request.Headers.Authorization);
        if (failure is null)
        {
            await next(http);
            return;
        }
        http.Response.StatusCode = StatusCodes.Status401Unauthorized;
        http.Response.Headers.WWWAuthenticate = "Bearer";
        await http.RequestServices.GetRequiredService<IProblemDetailsService>().TryWriteAsync(new ProblemDetailsContext
        {
            HttpContext = http,
            ProblemDetails = Problems.Details(StatusCodes.Status401Unauthorized, ProblemCodes.Unauthorized,
                $"{failure} Send 'Authorization: Bearer <api key>' with a key configured in Coord:ApiKeys; only /healthz is open without one."),
        });
    }

    private string? Check(Microsoft.Extensions.Primitives.StringValues header)
    {
        if (header.Count == 0 || string.IsNullOrEmpty(header[0]))
            return "An API key is required.";
        var value = header[0]!;
        if (header.Count > 1 || !value.StartsWith(BearerPrefix, StringComparison.OrdinalIgnoreCase))
            return "The Authorization header must be 'Bearer <api key>'.";
        var presented = Hash(value[BearerPrefix.Length..].Trim());
        var matched = false;
        foreach (var key in _keyHashes)
            matched |= CryptographicOperations.FixedTimeEquals(presented, key);
        return matched ? null : "The API key is not valid.";
    }

    private static byte[] Hash(string key) => SHA256.HashData(Encoding.UTF8.GetBytes(key));
}
