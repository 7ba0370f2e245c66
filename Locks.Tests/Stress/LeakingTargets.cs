using Coord.Stress.Targets;
using Coord.Stress.Targets.Elections;
using Coord.Stress.Targets.ReaderWriter;

namespace Coord.Locks.Tests.Stress;

/// <summary>
/// Deliberately broken reader-writer lock for the runner's checks: every <paramref name="every"/>th write of a
/// client is taken on another name (<c>&lt;name&gt;/leak</c>) and handed back as the write hold of the name asked
/// for, so the caller writes beside whoever holds the real name. Everything else goes to the real target.
/// </summary>
internal sealed class LeakingReaderWriterTarget(PrimitiveTarget<IReaderWriterClient> inner, int every)
    : PrimitiveTarget<IReaderWriterClient>("leaking-" + inner.Name, inner.Library, isPeer: false)
{
    public override async Task<IReaderWriterClient> CreateClientAsync(CancellationToken cancellationToken)
        => new Client(await inner.CreateClientAsync(cancellationToken), every);

    private sealed class Client(IReaderWriterClient real, int every) : IReaderWriterClient
    {
        private long _writes;

        public Task<IHeldLock?> AcquireAsync(string name, bool write, TimeSpan wait, TimeSpan ttl, CancellationToken cancellationToken)
            => real.AcquireAsync(write && ++_writes % every == 0 ? name + "/leak" : name, write, wait, ttl, cancellationToken);

        public ValueTask DisposeAsync() => real.DisposeAsync();
    }
}

/// <summary>
/// Deliberately broken election for the runner's checks: every <paramref name="every"/>th campaign of a candidate
/// runs in another election (<c>&lt;election&gt;/leak</c>) and is handed back as leadership of the one asked for.
/// </summary>
internal sealed class LeakingElectionTarget(PrimitiveTarget<IElectionCandidate> inner, int every)
    : PrimitiveTarget<IElectionCandidate>("leaking-" + inner.Name, inner.Library, isPeer: false)
{
    public override async Task<IElectionCandidate> CreateClientAsync(CancellationToken cancellationToken)
        => new Candidate(await inner.CreateClientAsync(cancellationToken), every);

    private sealed class Candidate(IElectionCandidate real, int every) : IElectionCandidate
    {
        private long _campaigns;

        public Task<IHeldLeadership?> CampaignAsync(string election, string value, TimeSpan wait, TimeSpan ttl, CancellationToken cancellationToken)
            => real.CampaignAsync(++_campaigns % every == 0 ? election + "/leak" : election, value, wait, ttl, cancellationToken);

        public ValueTask DisposeAsync() => real.DisposeAsync();
    }
}
