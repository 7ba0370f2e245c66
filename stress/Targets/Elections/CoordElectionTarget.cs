using Coord.Locks;

namespace Coord.Stress.Targets.Elections;

/// <summary>A Coord election backend: every candidate is its own provider (own connection or session), made by <paramref name="create"/>.</summary>
public sealed class CoordElectionTarget(string name, Func<ILeaderElection> create)
    : PrimitiveTarget<IElectionCandidate>(name, "Coord", isPeer: false)
{
    public override Task<IElectionCandidate> CreateClientAsync(CancellationToken cancellationToken)
        => Task.FromResult<IElectionCandidate>(new Candidate(create()));

    private sealed class Candidate(ILeaderElection elections) : IElectionCandidate
    {
        public async Task<IHeldLeadership?> CampaignAsync(string election, string value, TimeSpan wait, TimeSpan ttl, CancellationToken cancellationToken)
        {
            var leadership = await elections.TryCampaignAsync(election, value, wait, ttl, cancellationToken).ConfigureAwait(false);
            return leadership is null ? null : new Held(leadership);
        }

        public ValueTask DisposeAsync() => elections.DisposeAsync();
    }

    private sealed class Held(ILeadership leadership) : IHeldLeadership
    {
        public long Term => leadership.Term;
        public bool IsLost => leadership.IsLost;
        public async ValueTask ResignAsync()
        {
            await leadership.ResignAsync().ConfigureAwait(false);
            await leadership.DisposeAsync().ConfigureAwait(false);
        }
    }
}
