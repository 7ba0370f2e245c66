using System.Globalization;
using Coord.Service.Hosting;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;

namespace Coord.Service.Ids;

/// <summary>
/// <c>/v1/ids/...</c>: snowflake, segment by tag and uuid (v4 or v7), each with <c>?count=</c> (1 by default,
/// at most Coord:Limits:MaxCount), and snowflake decode. GET, so that <c>curl</c> works as is; answers carry
/// <c>Cache-Control: no-store</c> because every call must reach a generator.
/// </summary>
public static class IdEndpoints
{
    public static IEndpointRouteBuilder MapIdEndpoints(this IEndpointRouteBuilder app)
    {
        var ids = app.MapGroup("/v1/ids").WithTags("Ids").AddEndpointFilter(NoStore);
        ids.MapGet("/snowflake", SnowflakeAsync)
            .WithName("NextSnowflakeIds")
            .WithSummary("Snowflake ids (as decimal strings), increasing within this instance.");
        ids.MapGet("/snowflake/{id}", DecodeAsync)
            .WithName("DecodeSnowflakeId")
            .WithSummary("The timestamp, worker id, rollback counter and sequence of a Snowflake id from this service's layout.");
        ids.MapGet("/segment/{tag}", SegmentAsync)
            .WithName("NextSegmentIds")
            .WithSummary("Ids of a segment tag (Leaf's biz_tag), increasing within this instance; 404 for an unknown tag.");
        ids.MapGet("/uuid", Uuid)
            .WithName("NextUuids")
            .WithSummary("RFC 9562 UUIDs: version=7 (default, time-ordered) or version=4 (random).");
        return app;
    }

    private static async ValueTask<object?> NoStore(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        context.HttpContext.Response.Headers.CacheControl = "no-store";
        return await next(context);
    }

    private static async Task<Ok<IdListResponse>> SnowflakeAsync(IdServices services, ServiceLimits limits, [FromQuery] int? count, CancellationToken cancellationToken)
    {
        var n = Count(count, limits);
        var generator = await services.Snowflake.GetAsync(cancellationToken);
        var ids = new long[n];
        generator.Next(ids);
        IdMetrics.Count("snowflake", n);
        return TypedResults.Ok(new IdListResponse("snowflake", null, ToStrings(ids)));
    }

    private static async Task<Ok<SnowflakeDecodeResponse>> DecodeAsync(IdServices services, string id, CancellationToken cancellationToken)
    {
        if (!long.TryParse(id, NumberStyles.None, CultureInfo.InvariantCulture, out var value))
            throw new ArgumentException($"A Snowflake id is a decimal number from 0 to {long.MaxValue}; '{Shorten(id)}' is not.");
        var generator = await services.Snowflake.GetAsync(cancellationToken);
        var parts = generator.Decode(value);
        return TypedResults.Ok(new SnowflakeDecodeResponse(id, parts.Timestamp, parts.TimestampMs, parts.WorkerId, parts.RollbackCounter, parts.Sequence));
    }

    private static async Task<Ok<IdListResponse>> SegmentAsync(IdServices services, ServiceLimits limits, string tag, [FromQuery] int? count, CancellationToken cancellationToken)
    {
        var n = Count(count, limits);
        var ids = new long[n];
        await services.Segments.NextAsync(tag, ids, cancellationToken);
        IdMetrics.Count("segment", n);
        return TypedResults.Ok(new IdListResponse("segment", tag, ToStrings(ids)));
    }

    private static Ok<IdListResponse> Uuid(IdServices services, ServiceLimits limits, [FromQuery] int? version, [FromQuery] int? count)
    {
        var n = Count(count, limits);
        var ids = new Guid[n];
        var generator = version switch
        {
            null or 7 => "uuid-v7",
            4 => "uuid-v4",
            _ => throw new ArgumentException($"version must be 4 (random) or 7 (time-ordered); it was {version}."),
        };
        if (generator == "uuid-v7")
            services.UuidV7.Next(ids);
        else
            services.UuidV4.Next(ids);
        IdMetrics.Count(generator, n);
        return TypedResults.Ok(new IdListResponse(generator, null, ids.Select(g => g.ToString("D")).ToArray()));
    }

    private static int Count(int? count, ServiceLimits limits)
    {
        var n = count ?? 1;
        if (n < 1 || n > limits.MaxCount)
            throw new ArgumentException($"count must be between 1 and {limits.MaxCount}; it was {n}.");
        return n;
    }

    private static string[] ToStrings(long[] ids)
    {
        var strings = new string[ids.Length];
        for (var i = 0; i < ids.Length; i++)
            strings[i] = ids[i].ToString(CultureInfo.InvariantCulture);
        return strings;
    }

    private static string Shorten(string s) => s.Length <= 40 ? s : s[..40] + "…";
}
