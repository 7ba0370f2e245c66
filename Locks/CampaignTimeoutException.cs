namespace Coord.Locks;

/// <summary>A campaign with a bounded wait was not elected in time: another candidate led all along. The candidacy was withdrawn.</summary>
public sealed class CampaignTimeoutException(string election, string backend, string endpoint, TimeSpan waited)
    : LockException($"Not elected leader of election '{election}' on {backend} at {endpoint} within {waited.TotalMilliseconds:0} ms: another candidate leads. The candidacy was withdrawn.", election, backend, endpoint)
{
    /// <summary>The election campaigned for.</summary>
    public string Election => LockName;

    /// <summary>How long the campaign waited.</summary>
    public TimeSpan Waited { get; } = waited;
}
