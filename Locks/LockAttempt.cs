namespace Coord.Locks;

/// <summary>
/// What one acquire call has left on its backend (a place in a queue, a key, a wait registration) that
/// must be undone if the caller stops waiting. A backend derives its own attempt type and stores it in
/// <see cref="LockRequest.Attempt"/> before it sends anything; the provider then calls
/// <see cref="AbandonAsync"/> when the acquire times out, fails or is cancelled.
/// </summary>
public abstract class LockAttempt
{
    /// <summary>
    /// Leaves the backend as if this attempt had never waited: gives up its place and releases a
    /// hand-off that landed on it, however late. Called at most once, after the acquire call ended without a grant.
    /// </summary>
    protected internal abstract Task AbandonAsync(CancellationToken cancellationToken);
}
