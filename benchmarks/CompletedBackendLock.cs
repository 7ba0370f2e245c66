using Coord.Locks;

namespace Coord.Benchmarks;

/// <summary>A backend whose every call succeeds synchronously: isolates what the shared provider and handle cost.</summary>
public sealed class CompletedBackendLock(LockOptions options) : LockProvider(options, logger: null)
{
    private static readonly Task<bool> True = Task.FromResult(true);
    private long _fence;

    public override string Backend => "completed";
    public override string Endpoint => "this process";

    protected override Task<LockGrant?> AcquireCoreAsync(LockRequest request, CancellationToken cancellationToken)
        => Task.FromResult<LockGrant?>(new LockGrant(++_fence, Time.GetTimestamp()));

    protected override Task<bool> RenewCoreAsync(string name, string holderToken, TimeSpan ttl, CancellationToken cancellationToken) => True;

    protected override Task<bool> ReleaseCoreAsync(string name, string holderToken, CancellationToken cancellationToken) => True;
}
