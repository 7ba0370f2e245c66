using Coord.Ids.WorkerIds;

namespace Coord.Ids.Snowflake;

/// <summary>
/// Hands out the process's one <see cref="SnowflakeGenerator"/>, starting it on first use: with a
/// static worker id at once, with a leased one after the lease is taken (hence async). Disposing it
/// releases the lease and disposes the options' <see cref="SnowflakeOptions.WorkerIdLeaser"/>.
/// </summary>
public sealed class SnowflakeGeneratorProvider : IAsyncDisposable
{
    private readonly SnowflakeOptions _options;
    private readonly TimeProvider _time;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private SnowflakeGenerator? _generator;

    /// <summary>Validates <paramref name="options"/>; with a static worker id the generator starts at once.</summary>
    /// <param name="options">Layout, epoch and worker id (static or leased).</param>
    /// <param name="timeProvider">Clock for timestamps; null is the system clock.</param>
    /// <exception cref="ArgumentNullException"><paramref name="options"/> is null.</exception>
    /// <exception cref="ArgumentException">A setting is invalid, or the epoch is in the future.</exception>
    public SnowflakeGeneratorProvider(SnowflakeOptions options, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _time = timeProvider ?? TimeProvider.System;
        options.ValidateAt(_time.GetUtcNow());
        _options = options;
        if (options.WorkerId is not null)
            _generator = new SnowflakeGenerator(options, _time);
    }

    /// <summary>The validated options.</summary>
    public SnowflakeOptions Options => _options;

    /// <summary>
    /// The generator, leasing its worker id first when the options ask for a lease. If the lease was
    /// lost, a new generator on a newly leased worker id replaces the old one.
    /// </summary>
    /// <param name="cancellationToken">Cancels leasing and the start-up wait for the clock.</param>
    /// <returns>The process's generator; the same instance until its lease is lost.</returns>
    /// <exception cref="WorkerIdsExhaustedException">Every worker id of the pool is leased.</exception>
    /// <exception cref="WorkerIdStoreUnavailableException">The lease store did not answer or refused the request.</exception>
    /// <exception cref="ClockBehindStoredTimestampException">This clock is further behind the worker id's stored timestamp than <see cref="SnowflakeOptions.MaxStartupClockWait"/>.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public ValueTask<SnowflakeGenerator> GetAsync(CancellationToken cancellationToken = default)
        => Volatile.Read(ref _generator) is { LeaseLost: false } generator
            ? ValueTask.FromResult(generator)
            : new ValueTask<SnowflakeGenerator>(StartAsync(cancellationToken));

    private async Task<SnowflakeGenerator> StartAsync(CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_generator is { LeaseLost: false } current)
                return current;
            if (_generator is { } lost)
                await lost.DisposeAsync().ConfigureAwait(false); // nothing to release; stops its renewal
            var lease = await AcquireAsync(_options.WorkerIdLeaser!, cancellationToken).ConfigureAwait(false);
            try
            {
                var generator = await SnowflakeGenerator.StartAsync(_options, lease, _time, cancellationToken).ConfigureAwait(false);
                Volatile.Write(ref _generator, generator);
                return generator;
            }
            catch
            {
                await lease.DisposeAsync().ConfigureAwait(false);
                throw;
            }
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Leases a worker id; a store that fails (rather than answering that every id is taken) becomes <see cref="WorkerIdStoreUnavailableException"/>.</summary>
    private async Task<WorkerIdLease> AcquireAsync(IWorkerIdLeaser leaser, CancellationToken cancellationToken)
    {
        try
        {
            return await leaser.AcquireAsync(_options.Layout.MaxWorkerId, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not (WorkerIdsExhaustedException or OperationCanceledException or ArgumentException or OutOfMemoryException))
        {
            throw new WorkerIdStoreUnavailableException(leaser.Description, ex);
        }
    }

    /// <summary>Releases the generator's lease and disposes the options' <see cref="SnowflakeOptions.WorkerIdLeaser"/>.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_generator is { } generator)
            await generator.DisposeAsync().ConfigureAwait(false);
        if (_options.WorkerIdLeaser is { } leaser)
            await leaser.DisposeAsync().ConfigureAwait(false);
        _gate.Dispose();
    }
}
