using System.Security.Cryptography;
using Coord.Locks;

namespace Coord.Client.Internal;

/// <summary>
/// What a client that gives up must take back on the service. An acquire request whose answer never arrived
/// (cancelled, timed out, connection lost) is cancelled by its attempt id, which stops its wait there and
/// releases whatever it was granted before the caller hears of the cancellation; a grant the caller never
/// received after its answer did arrive is released with the holder token the service issued.
/// </summary>
internal sealed class ServiceAttempt(ServiceApi api, string route, string name) : LockAttempt
{
    /// <summary>The attempt id of the acquire request sent last, while its answer has not been read.</summary>
    public string? UnansweredAttemptId { get; private set; }

    public string? GrantedHolderToken { get; set; }

    /// <summary>A fresh id for the next acquire request: the service refuses an id it has seen.</summary>
    public string NextRequest() => UnansweredAttemptId = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));

    public void Answered() => UnansweredAttemptId = null;

    protected override async Task AbandonAsync(CancellationToken cancellationToken)
    {
        if (UnansweredAttemptId is { } attemptId)
            await api.CancelAttemptAsync(attemptId, cancellationToken).ConfigureAwait(false);
        if (GrantedHolderToken is { } token)
            await api.ReleaseAsync(route, name, token, cancellationToken).ConfigureAwait(false);
    }
}
