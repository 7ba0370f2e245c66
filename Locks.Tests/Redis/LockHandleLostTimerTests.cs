using System.Collections.Concurrent;
using Coord.Locks.Redis;

namespace Coord.Locks.Tests.Redis;

/// <summary>
/// A handle's <see cref="ILockHandle.Lost"/> fires at its validity deadline from a timer of its own,
/// even while a renew call is held hostage by a paused server.
/// </summary>
public sealed class LockHandleLostTimerTests(RedisServerFixture redis) : IClassFixture<RedisServerFixture>, IAsyncLifetime
{
    private readonly OwnedClients<LockProvider> _clients = new();

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        if (redis.Server.IsPaused)
            redis.Server.Resume();
        await _clients.DisposeAsync();
    }

    [Fact]
    public async Task Lost_fires_at_the_deadline_while_the_renew_call_is_still_stuck_on_a_paused_server()
    {
        // The renewals of this provider wait for the server however long it takes (as a client library
        // that ignores cancellation over a cut connection would), so only the handle's own timer can end the hold.
        var inner = new RedisLock(new RedisLockOptions { Configuration = redis.Server.ConnectionString, ConnectTimeout = TimeSpan.FromMinutes(1) });
        var patient = new PatientRenewals(inner, new LockOptions());
        _clients.Add(patient);
        _clients.Add(inner);
        var held = await patient.AcquireAsync($"hostage/{Guid.NewGuid():N}", wait: TimeSpan.FromSeconds(5), ttl: TimeSpan.FromMilliseconds(1500));
        var observed = new TaskCompletionSource<(TimeSpan LeftAtFire, int RenewsInFlight, bool ServerPaused)>(TaskCreationOptions.RunContinuationsAsynchronously);
        held.Lost.Register(() => observed.TrySetResult((held.ValidUntil - DateTimeOffset.UtcNow, patient.RenewsInFlight, redis.Server.IsPaused)));

        redis.Server.Pause();
        var fired = await observed.Task.WaitAsync(TimeSpan.FromSeconds(30));
        redis.Server.Resume();

        Assert.True(fired.ServerPaused, "Lost fired only after the server came back");
        Assert.True(fired.RenewsInFlight > 0, "no renew call was in flight when Lost fired");
        // Not early: at the moment Lost fired, the handle had nothing left to vouch for.
        Assert.True(fired.LeftAtFire <= TimeSpan.Zero, $"Lost fired with {fired.LeftAtFire} of validity left");
        Assert.True(held.IsLost);
    }

    [Fact]
    public async Task Lost_fires_at_the_deadline_on_a_paused_server_and_not_before()
    {
        var client = _clients.Add(new RedisLock(new RedisLockOptions { Configuration = redis.Server.ConnectionString }));
        var held = await client.AcquireAsync($"paused/{Guid.NewGuid():N}", ttl: TimeSpan.FromMilliseconds(1200));
        var observed = new TaskCompletionSource<(TimeSpan LeftAtFire, bool ServerPaused)>(TaskCreationOptions.RunContinuationsAsynchronously);
        held.Lost.Register(() => observed.TrySetResult((held.ValidUntil - DateTimeOffset.UtcNow, redis.Server.IsPaused)));

        redis.Server.Pause();
        var fired = await observed.Task.WaitAsync(TimeSpan.FromSeconds(30));
        redis.Server.Resume();

        Assert.True(fired.ServerPaused);
        Assert.True(fired.LeftAtFire <= TimeSpan.Zero, $"Lost fired with {fired.LeftAtFire} of validity left");
    }

    /// <summary>
    /// Takes bare leases from a real <see cref="RedisLock"/> and renews them by token, ignoring the
    /// handle's cancellation: the test's seam for a renew call that does not come back.
    /// </summary>
    private sealed class PatientRenewals(RedisLock inner, LockOptions options) : LockProvider(options, null)
    {
        private readonly ConcurrentDictionary<string, string> _innerTokens = new(StringComparer.Ordinal);
        private int _renewsInFlight;

        public int RenewsInFlight => Volatile.Read(ref _renewsInFlight);

        public override string Backend => "redis";
        public override string Endpoint => inner.Endpoint;

        protected override async Task<LockGrant?> AcquireCoreAsync(LockRequest request, CancellationToken cancellationToken)
        {
            var sent = Time.GetTimestamp();
            var lease = await inner.TryAcquireLeaseAsync(request.Name, request.RemainingWait, request.Ttl, cancellationToken);
            if (lease is null)
                return null;
            _innerTokens[request.HolderToken] = lease.HolderToken;
            return new LockGrant(lease.FencingToken, sent);
        }

        protected override async Task<bool> RenewCoreAsync(string name, string holderToken, TimeSpan ttl, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref _renewsInFlight);
            try
            {
                return await inner.RenewAsync(name, _innerTokens[holderToken], ttl, CancellationToken.None);
            }
            finally
            {
                Interlocked.Decrement(ref _renewsInFlight);
            }
        }

        protected override Task<bool> ReleaseCoreAsync(string name, string holderToken, CancellationToken cancellationToken)
            => _innerTokens.TryRemove(holderToken, out var token) ? inner.ReleaseAsync(name, token, cancellationToken) : Task.FromResult(false);
    }
}
