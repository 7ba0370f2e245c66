namespace Coord.Ids.WorkerIds;

/// <summary>
/// Leasing a worker id failed because the store did not answer or refused the request. The message
/// names the store and the kind of failure; the client library's own error is the inner exception.
/// </summary>
public sealed class WorkerIdStoreUnavailableException : Exception
{
    /// <summary>Creates the exception for a failed lease request.</summary>
    /// <param name="store">The leaser's description.</param>
    /// <param name="innerException">The client library's error; a <see cref="TimeoutException"/> means no answer in time.</param>
    public WorkerIdStoreUnavailableException(string store, Exception innerException)
        : base($"Could not lease a Snowflake worker id from {store}: {(innerException is TimeoutException ? "it did not answer in time" : "the request failed")}.", innerException)
        => Store = store;

    /// <summary>The leaser's description, for messages.</summary>
    public string Store { get; }
}
