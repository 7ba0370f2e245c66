using Coord.Service.Locks;

namespace Coord.Service.Health;

/// <summary>A lock backend is ready when it answers a status read of a probe lock.</summary>
public sealed class LockBackendReadinessCheck(ConfiguredLockBackend backend) : IReadinessCheck
{
    public const string ProbeLockName = "coord/readyz-probe";

    public string Name => $"lock backend {backend.Name} ({backend.Type} at {backend.Lock.Endpoint})";

    public async Task CheckAsync(CancellationToken cancellationToken)
    {
        try
        {
            await backend.Lock.GetStatusAsync(ProbeLockName, cancellationToken);
        }
        catch (NotSupportedException)
        {
            // A backend without status reads: a round trip that takes and frees the probe lock proves it answers.
            var lease = await backend.Lock.TryAcquireLeaseAsync(ProbeLockName, TimeSpan.Zero, TimeSpan.FromSeconds(5), cancellationToken);
            if (lease is not null)
                await backend.Lock.ReleaseAsync(ProbeLockName, lease.HolderToken, cancellationToken);
        }
    }
}
