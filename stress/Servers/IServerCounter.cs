namespace Coord.Stress.Servers;

/// <summary>A monotonically rising server-side count of work done (commands processed, transactions committed).</summary>
public interface IServerCounter : IAsyncDisposable
{
    /// <summary>Label for reports, e.g. <c>redis commands</c>.</summary>
    string Kind { get; }

    /// <summary>Reads the counter, with the reads this counter itself caused taken out.</summary>
    Task<long> ReadAsync(CancellationToken cancellationToken);

    /// <summary>
    /// How long the server may take to count work that connections still open have done: a read that must
    /// include all of it (the one before the measured part, after a warm-up) waits this long first.
    /// </summary>
    TimeSpan CountsLagBy => TimeSpan.Zero;
}
