using Microsoft.AspNetCore.Mvc;

namespace Coord.Service.Ids;

/// <summary>Maps the ID generators' exceptions to problems; null for exceptions that are not theirs.</summary>
public static class IdProblems
{
    public static ProblemDetails? Map(Exception exception) => exception switch
    {
        _ => null,
    };
}
