using System.Net;

namespace Coord.Client;

/// <summary>
/// The Coord service answered with an error (RFC 9457 problem+json), or a request to it failed. Lock calls
/// wrap it in <see cref="Coord.Locks.LockBackendException"/>; id calls throw it as is.
/// </summary>
public sealed class CoordServiceException : Exception
{
    public CoordServiceException(string message, HttpStatusCode? statusCode, string? code, string? detail, Exception? innerException = null)
        : base(message, innerException)
    {
        StatusCode = statusCode;
        Code = code;
        Detail = detail;
    }

    /// <summary>The HTTP status, or null when no answer came (connection failed, timed out).</summary>
    public HttpStatusCode? StatusCode { get; }

    /// <summary>The problem's <c>code</c>, such as <c>backend_unavailable</c> (see the service's README); null without one.</summary>
    public string? Code { get; }

    /// <summary>The problem's <c>detail</c>: what the service says was wrong.</summary>
    public string? Detail { get; }
}
