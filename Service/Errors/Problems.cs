using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;

namespace Coord.Service.Errors;

/// <summary>
/// Every error the service sends is built here: RFC 9457 problem details with the HTTP status, a
/// stable machine-readable <c>code</c> extension (see README) and a <c>detail</c> that says what was
/// wrong and what is allowed.
/// </summary>
public static class Problems
{
    public static ProblemDetails Details(int status, string code, string detail)
    {
        var problem = new ProblemDetails { Status = status, Detail = detail };
        problem.Extensions["code"] = code;
        return problem;
    }

    public static ProblemHttpResult Result(int status, string code, string detail)
        => TypedResults.Problem(Details(status, code, detail));
}
