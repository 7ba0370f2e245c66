namespace Coord.Stress.Targets.Elections;

/// <summary>A leadership won through an <see cref="IElectionCandidate"/>.</summary>
public interface IHeldLeadership
{
    /// <summary>The leader's term as the implementation reports it (for Curator, which has none, the driver's count of leaderships it saw).</summary>
    long Term { get; }

    /// <summary>True once the implementation reports the leadership gone before resigning.</summary>
    bool IsLost { get; }

    ValueTask ResignAsync();
}
