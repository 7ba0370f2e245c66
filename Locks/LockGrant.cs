namespace Coord.Locks;

/// <summary>What a backend returns when it has given the lock to a request.</summary>
/// <param name="FencingToken">Strictly increasing per name; null where the backend cannot issue a safe one.</param>
/// <param name="LeaseStartedTimestamp">
/// <see cref="TimeProvider.GetTimestamp"/> taken before sending the request that started the
/// server-side lease. Validity is counted from here, so the client gives up before the server could.
/// </param>
/// <param name="BackendLost">Fires when the backend itself reports the hold gone (session expired, lease revoked).</param>
public sealed record LockGrant(long? FencingToken, long LeaseStartedTimestamp, CancellationToken BackendLost = default)
{
    /// <summary>
    /// The holder token the server issued, where the server chooses it rather than taking the request's
    /// (the REST service through Coord.Client); the hold is then renewed and released with this one.
    /// </summary>
    public string? IssuedHolderToken { get; init; }
}
