namespace Coord.Locks;

/// <summary>
/// A leadership as the lock machinery holds it: a hold of the election's one-holder name (renewal, lost
/// signal, release) plus the value it announces. Proclamations go one at a time, so <see cref="Value"/> is
/// always the one the backend shows last.
/// </summary>
internal sealed class Leadership(LeaderElectionProvider provider, ILockHandle hold, string value) : ILeadership
{
    private readonly SemaphoreSlim _proclaiming = new(1, 1);
    private volatile string _value = value;
    private volatile bool _resigned;

    public string Election => hold.Name;
    public string Value => _value;
    public long Term => hold.FencingToken;
    public TimeSpan Ttl => hold.Ttl;
    public DateTimeOffset ValidUntil => hold.ValidUntil;
    public CancellationToken Lost => hold.Lost;
    public bool IsLost => hold.IsLost;

    /// <summary>The secret that proves this leadership to the backend.</summary>
    internal string HolderToken => hold.HolderToken;

    public async Task ProclaimAsync(string value, CancellationToken cancellationToken = default)
    {
        await _proclaiming.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_resigned)
                throw new NotLeaderException(Election, provider.Backend, provider.Endpoint, "this leadership was resigned");
            await provider.ProclaimAsync(this, value, cancellationToken).ConfigureAwait(false);
            _value = value;
        }
        finally
        {
            _proclaiming.Release();
        }
    }

    public Task ResignAsync(CancellationToken cancellationToken = default)
    {
        _resigned = true;
        return hold.ReleaseAsync(cancellationToken);
    }

    public ValueTask DisposeAsync()
    {
        _resigned = true;
        return hold.DisposeAsync();
    }

    public void Dispose()
    {
        _resigned = true;
        hold.Dispose();
    }

    public override string ToString() => $"Leadership {{ Election = {Election}, Value = {Value}, Term = {Term} }}";
}
