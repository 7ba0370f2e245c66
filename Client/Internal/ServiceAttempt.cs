using Coord.Locks;

namespace Coord.Client.Internal;

/// <summary>
/// A grant the caller never received (cancelled, failed or timed out after the service answered): the
/// client releases it with the holder token the service issued, instead of leaving it to its TTL.
/// </summary>
internal sealed class ServiceAttempt(ServiceApi api, string name) : LockAttempt
{
    public string? GrantedHolderToken { get; set; }

    protected override async Task AbandonAsync(CancellationToken cancellationToken)
    {
        if (GrantedHolderToken is { } token)
            await api.ReleaseAsync(name, token, cancellationToken).ConfigureAwait(false);
    }
}
