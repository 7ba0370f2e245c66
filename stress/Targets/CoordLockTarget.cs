using System.Collections.Concurrent;
using Coord.Locks;
using Coord.Stress.Servers;

namespace Coord.Stress.Targets;

/// <summary>A Coord backend: every client is its own provider (own connection or session), made by <paramref name="createProvider"/>.</summary>
public sealed class CoordLockTarget(
    string name,
    Func<LockProvider> createProvider,
    IReadOnlyList<IServerCounter> serverCounters,
    bool supportsProcesses = true)
    : LockTarget(name, "Coord", isPeer: false, serverCounters)
{
    private readonly ConcurrentBag<LockProvider> _providers = [];
    private bool? _supportsFencing;

    public override bool SupportsFencing => _supportsFencing ??= Probe(p => p.SupportsFencing);

    public override bool SupportsProcesses => supportsProcesses;

    public override Task<ILockClient> CreateClientAsync(CancellationToken cancellationToken)
    {
        var provider = createProvider();
        _providers.Add(provider);
        return Task.FromResult<ILockClient>(new CoordLockClient(provider));
    }

    /// <summary>A provider for the scenarios that drive the Coord API directly (bare leases in the pause fault).</summary>
    public LockProvider CreateProvider()
    {
        var provider = createProvider();
        _providers.Add(provider);
        return provider;
    }

    public override IReadOnlyDictionary<string, long> ClientRequestCounts() => RequestCounts.Sum(_providers.Select(p => p.Metrics));

    private bool Probe(Func<LockProvider, bool> read)
    {
        var probe = createProvider();
        try
        {
            return read(probe);
        }
        finally
        {
            probe.DisposeAsync().AsTask().GetAwaiter().GetResult();
        }
    }

    private sealed class CoordLockClient(LockProvider provider) : ILockClient
    {
        public async Task<IHeldLock?> AcquireAsync(string name, TimeSpan wait, TimeSpan ttl, CancellationToken cancellationToken)
        {
            var handle = await provider.TryAcquireAsync(name, wait, ttl, cancellationToken).ConfigureAwait(false);
            return handle is null ? null : new HandleHold(handle);
        }

        // The provider's request counts stay readable after disposal, so the target can still sum them.
        public ValueTask DisposeAsync() => provider.DisposeAsync();
    }
}
