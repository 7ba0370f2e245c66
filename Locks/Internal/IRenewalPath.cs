namespace Coord.Locks.Internal;

/// <summary>
/// The path a handle's automatic renewal takes to its backend. Internal, and unset in production: it is the
/// seam through which tests model a holder whose renewals stop reaching the backend (a crashed, paused or
/// cut-off process) while the rest of the provider works, without a switch on the handle itself.
/// </summary>
internal interface IRenewalPath
{
    /// <summary>Sends the renewal of <paramref name="name"/> by <paramref name="holderToken"/> through <paramref name="send"/>, or not.</summary>
    Task<bool> RenewAsync(string name, string holderToken, Func<CancellationToken, Task<bool>> send, CancellationToken cancellationToken);
}
