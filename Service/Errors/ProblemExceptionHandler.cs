using System.Text.Json;
using Coord.Locks;
using Coord.Service.Ids;
using Coord.Service.Locks;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Mvc;

namespace Coord.Service.Errors;

/// <summary>
/// Turns every exception that leaves an endpoint into problem+json with the right status:
/// bad input 400 (413/415 from the HTTP layer), a lock conflict 409, a backend that cannot be reached 503,
/// something a backend cannot do 501, anything else 500 without internals.
/// </summary>
public sealed class ProblemExceptionHandler(IProblemDetailsService problems, ILogger<ProblemExceptionHandler> logger) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext http, Exception exception, CancellationToken cancellationToken)
    {
        if (exception is OperationCanceledException && http.RequestAborted.IsCancellationRequested)
        {
            // The client went away; nobody is left to read an answer.
            http.Response.StatusCode = 499;
            return true;
        }

        var problem = Map(exception, http);
        if (problem.Status >= 500)
            logger.LogError(exception, "{Method} {Path} failed with {Status}", http.Request.Method, http.Request.Path, problem.Status);
        else
            logger.LogDebug("{Method} {Path} answered {Status}: {Detail}", http.Request.Method, http.Request.Path, problem.Status, problem.Detail);

        if (problem.Status == StatusCodes.Status503ServiceUnavailable)
            http.Response.Headers.RetryAfter = "1";
        http.Response.StatusCode = problem.Status!.Value;
        return await problems.TryWriteAsync(new ProblemDetailsContext { HttpContext = http, ProblemDetails = problem, Exception = exception });
    }

    public static ProblemDetails Map(Exception exception, HttpContext http) => exception switch
    {
        BadHttpRequestException bad => BadRequest(bad),
        UnknownBackendException unknown => Problems.Details(StatusCodes.Status400BadRequest, ProblemCodes.UnknownBackend, CleanMessage(unknown)),
        ArgumentException argument => Problems.Details(StatusCodes.Status400BadRequest, ProblemCodes.InvalidRequest, CleanMessage(argument)),
        LockBackendException backend => Problems.Details(StatusCodes.Status503ServiceUnavailable, ProblemCodes.BackendUnavailable, BackendFailure.Detail(backend, http.TraceIdentifier)),
        LockTimeoutException timeout => Problems.Details(StatusCodes.Status409Conflict, ProblemCodes.LockHeld, timeout.Message),
        // What a backend refuses by its nature, e.g. a ZooKeeper hold renewed through another service instance.
        LockException conflict => Problems.Details(StatusCodes.Status409Conflict, ProblemCodes.LockConflict, conflict.Message),
        NotSupportedException unsupported => Problems.Details(StatusCodes.Status501NotImplemented, ProblemCodes.NotSupported, unsupported.Message),
        _ => IdProblems.Map(exception)
            ?? Problems.Details(StatusCodes.Status500InternalServerError, ProblemCodes.Internal,
                $"An unexpected error occurred; the service log has the details (trace id {http.TraceIdentifier})."),
    };

    private static ProblemDetails BadRequest(BadHttpRequestException bad)
    {
        var status = bad.StatusCode;
        var code = status switch
        {
            StatusCodes.Status413PayloadTooLarge => ProblemCodes.BodyTooLarge,
            StatusCodes.Status415UnsupportedMediaType => ProblemCodes.UnsupportedMediaType,
            _ when bad.InnerException is JsonException => ProblemCodes.InvalidJson,
            _ => ProblemCodes.InvalidRequest,
        };
        var detail = bad.InnerException switch
        {
            JsonException json => $"The request body is not valid JSON for this endpoint: {ClientText.JsonError(json)}",
            _ when status == StatusCodes.Status415UnsupportedMediaType => "Send the request body as application/json.",
            _ => ClientText.WithoutTypeNames(bad.Message),
        };
        return Problems.Details(status, code, detail);
    }

    /// <summary>The message without the "(Parameter 'x')" and "Actual value was" lines .NET appends.</summary>
    private static string CleanMessage(ArgumentException exception)
    {
        var message = exception.Message;
        var newline = message.IndexOf('\n', StringComparison.Ordinal);
        if (newline >= 0)
            message = message[..newline].TrimEnd('\r');
        if (exception.ParamName is { } param)
        {
            var suffix = $" (Parameter '{param}')";
            if (message.EndsWith(suffix, StringComparison.Ordinal))
                message = message[..^suffix.Length];
        }
        return message;
    }
}
