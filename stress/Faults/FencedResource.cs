namespace Coord.Stress.Faults;

/// <summary>
/// A downstream resource (think: a storage service) that lock holders write to. With checks on it
/// rejects a write whose fencing token is lower than one it already accepted, as Kleppmann's fenced
/// storage does; with checks off it takes everything. A write is <em>stale</em> when another holder
/// wrote after the writer's own on-time write: the writer's lease had run out and it did not know.
/// </summary>
public sealed class FencedResource(bool checksTokens)
{
    private readonly object _gate = new();
    private long _highestToken = long.MinValue;
    private long _writes;

    public bool ChecksTokens { get; } = checksTokens;
    public long StaleAttempted { get; private set; }
    public long StaleStopped { get; private set; }
    public long StaleLanded { get; private set; }
    public long CurrentWritesRejected { get; private set; }
    public long Accepted { get; private set; }

    /// <summary>Writes as the current holder; returns the write's sequence number for a later <see cref="WriteLate"/>.</summary>
    public long Write(long? token)
    {
        lock (_gate)
        {
            if (!Admit(token))
            {
                CurrentWritesRejected++;
                return _writes;
            }
            return ++_writes;
        }
    }

    /// <summary>Writes again with the same token after a stall; <paramref name="ownWrite"/> is what <see cref="Write"/> returned.</summary>
    public void WriteLate(long? token, long ownWrite)
    {
        lock (_gate)
        {
            var stale = _writes != ownWrite;
            var admitted = Admit(token);
            if (admitted)
                _writes++;
            if (!stale)
                return;
            StaleAttempted++;
            if (admitted)
                StaleLanded++;
            else
                StaleStopped++;
        }
    }

    private bool Admit(long? token)
    {
        if (ChecksTokens && token is { } t)
        {
            if (t < _highestToken)
                return false;
            _highestToken = t;
        }
        Accepted++;
        return true;
    }
}
