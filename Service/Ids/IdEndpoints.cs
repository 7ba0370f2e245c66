namespace Coord.Service.Ids;

/// <summary><c>/v1/ids/...</c>: snowflake, segment by tag, uuid; wired once Coord.Ids has its generators.</summary>
public static class IdEndpoints
{
    public static IEndpointRouteBuilder MapIdEndpoints(this IEndpointRouteBuilder app) => app;
}
