using Microsoft.AspNetCore.Diagnostics;

namespace Coord.Service.Errors;

/// <summary>
/// Fills <c>code</c> and <c>detail</c> on problems the framework writes by itself (unknown route 404,
/// wrong method 405, wrong content type 415), so that every error body says what was wrong.
/// </summary>
public static class StatusProblemDefaults
{
    public static void Apply(ProblemDetailsContext context)
    {
        var problem = context.ProblemDetails;
        var http = context.HttpContext;
        var path = http.Features.Get<IStatusCodeReExecuteFeature>()?.OriginalPath ?? http.Request.Path.Value;
        var (code, detail) = problem.Status switch
        {
            StatusCodes.Status404NotFound => (ProblemCodes.NotFound, $"Nothing is served at {path}. The API lives under /v1/locks/<name> and /v1/ids/...; /openapi/v1.json lists every endpoint."),
            StatusCodes.Status405MethodNotAllowed => (ProblemCodes.MethodNotAllowed, $"{http.Request.Method} is not allowed on {path}; /openapi/v1.json lists the methods of every endpoint."),
            StatusCodes.Status415UnsupportedMediaType => (ProblemCodes.UnsupportedMediaType, "Send the request body as JSON with 'Content-Type: application/json'."),
            StatusCodes.Status413PayloadTooLarge => (ProblemCodes.BodyTooLarge, "The request body is too large."),
            StatusCodes.Status400BadRequest => (ProblemCodes.InvalidRequest, "The request could not be read."),
            _ => (ProblemCodes.Internal, null),
        };
        if (!problem.Extensions.ContainsKey("code"))
            problem.Extensions["code"] = code;
        problem.Detail ??= detail;
    }
}
