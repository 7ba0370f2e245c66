namespace Coord.Locks;

/// <summary>A leader tried to act (proclaim a value) after its leadership ended: resigned, expired or taken away.</summary>
public sealed class NotLeaderException(string election, string backend, string endpoint, string reason)
    : LockException($"Not the leader of election '{election}' on {backend} at {endpoint} any more: {reason}. Nothing was changed; campaign again to lead.", election, backend, endpoint)
{
    /// <summary>The election the leadership was of.</summary>
    public string Election => LockName;
}
