namespace Coord.Stress.Targets.Elections;

/// <summary>One candidate of an election implementation (its own connection or session).</summary>
public interface IElectionCandidate : IAsyncDisposable
{
    /// <summary>Campaigns with <paramref name="value"/> and waits up to <paramref name="wait"/> to lead; null when not elected in time (the candidacy withdrawn).</summary>
    Task<IHeldLeadership?> CampaignAsync(string election, string value, TimeSpan wait, TimeSpan ttl, CancellationToken cancellationToken);
}
