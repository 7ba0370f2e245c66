using System.Globalization;
using Coord.Stress.Servers;
using Coord.Stress.Targets.Elections;

namespace Coord.Stress.Targets.Curator;

/// <summary>
/// Peer: Apache Curator's <c>LeaderLatch</c> (<c>curator-latch</c>) on the run's ZooKeeper, each candidate its own
/// CuratorFramework and session, through the same Java driver as <c>curator</c>. A campaign starts a new latch and
/// awaits leadership; resigning closes it. Curator has no term: the term reported is the driver's count of
/// leaderships it has seen on the path, so the rising-term check says nothing about Curator; the overlap check does.
/// </summary>
public sealed class CuratorLeaderLatchTarget : CuratorDriverTarget<IElectionCandidate>
{
    private CuratorLeaderLatchTarget(CuratorDriverProcess driver, string root)
        : base(driver, root, "curator-latch", "Apache Curator LeaderLatch")
    {
    }

    public static async Task<CuratorLeaderLatchTarget> StartAsync(StressZooKeeper zooKeeper, string keyPrefix, CancellationToken cancellationToken)
        => new(await CuratorDriverProcess.StartAsync(zooKeeper.ConnectString, cancellationToken).ConfigureAwait(false), StressZooKeeper.Root(keyPrefix, "-curator-latch"));

    public override Task<IElectionCandidate> CreateClientAsync(CancellationToken cancellationToken)
        => Task.FromResult<IElectionCandidate>(new Candidate(this, NextClient()));

    private sealed class Candidate(CuratorLeaderLatchTarget target, int id) : IElectionCandidate
    {
        public async Task<IHeldLeadership?> CampaignAsync(string election, string value, TimeSpan wait, TimeSpan ttl, CancellationToken cancellationToken)
        {
            var request = target.Driver.NextRequest();
            var path = target.PathOf(election);
            var reply = await CuratorRelease.AcquireAsync(target.Driver, 'L', request, id, wait, ttl, path, cancellationToken).ConfigureAwait(false);
            var leader = $"L {request} 1 ";
            if (reply.StartsWith(leader, StringComparison.Ordinal))
                return new Held(new CuratorRelease(target.Driver, request), long.Parse(reply.AsSpan(leader.Length), CultureInfo.InvariantCulture));
            return reply == $"L {request} 0" ? null : throw new InvalidOperationException($"Curator LeaderLatch on {path} failed: {reply}");
        }

        public ValueTask DisposeAsync() => CuratorRelease.CloseClientAsync(target.Driver, id);
    }

    private sealed class Held(CuratorRelease latch, long turnover) : IHeldLeadership
    {
        public long Term => turnover;
        public bool IsLost => false;
        public ValueTask ResignAsync() => latch.ReleaseAsync();
    }
}
