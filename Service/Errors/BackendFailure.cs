using System.Net.Sockets;
using Coord.Locks;
using Grpc.Core;
using Npgsql;
using StackExchange.Redis;

namespace Coord.Service.Errors;

/// <summary>
/// What a client may learn about a failed backend call: which backend, where, and what kind of failure.
/// The client library's own text (versions, pool counters, internal key names) stays in the service log.
/// </summary>
public static class BackendFailure
{
    public const string NoAnswer = "it did not answer in time";
    public const string ConnectionFailed = "the connection failed (refused, lost, or not yet made)";
    public const string ServerError = "it answered with an error";
    public const string Unexpected = "the call failed unexpectedly";

    /// <summary>The problem detail for <paramref name="failure"/>; the trace id leads to the logged exception.</summary>
    public static string Detail(LockBackendException failure, string traceId)
        => $"Lock '{failure.LockName}': the {failure.Backend} backend at {failure.Endpoint} is unavailable: {Kind(failure)}. " +
           $"Retry later; the service log has the details (trace id {traceId}).";

    /// <summary>One of the fixed phrases above, from the innermost cause that says what happened.</summary>
    public static string Kind(Exception failure)
    {
        for (var ex = failure.InnerException ?? failure; ex is not null; ex = ex.InnerException)
        {
            var kind = ex switch
            {
                TimeoutException or OperationCanceledException => NoAnswer,
                SocketException or IOException or RedisConnectionException => ConnectionFailed,
                RpcException { StatusCode: StatusCode.DeadlineExceeded } => NoAnswer,
                RpcException { StatusCode: StatusCode.Unavailable } => ConnectionFailed,
                NpgsqlException { IsTransient: true } and not PostgresException => ConnectionFailed,
                PostgresException or RedisServerException or RpcException => ServerError,
                _ => null,
            };
            if (kind is not null)
                return kind;
        }
        return Unexpected;
    }
}
