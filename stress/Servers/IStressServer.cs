namespace Coord.Stress.Servers;

/// <summary>
/// One backend's server (or servers) for a run, as <see cref="StressServers"/> hands it to the targets: started
/// once by the run, or given on the command line. Disposing stops what the run started and leaves given ones alone.
/// </summary>
public interface IStressServer : IAsyncDisposable
{
    /// <summary>What the run started and with which settings, for the report; null when the server was given.</summary>
    string? Started { get; }
}
