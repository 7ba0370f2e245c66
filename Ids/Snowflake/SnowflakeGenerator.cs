using System.Diagnostics;
using Coord.Ids.WorkerIds;

namespace Coord.Ids.Snowflake;

/// <summary>
/// Snowflake ids: timestamp | rollback counter | worker | sequence (see <see cref="SnowflakeLayout"/>).
/// Ids from one generator are unique; they increase while the clock does. Thread-safe.
/// </summary>
/// <remarks>
/// Clock rollback: a jump back of at most <see cref="SnowflakeOptions.MaxRollbackWait"/> is waited
/// out. A bigger one switches to a rollback counter value that has never issued at or after the
/// current millisecond, so no (timestamp, counter, sequence) triple repeats; when no such value is
/// left (or the layout has none) <see cref="ClockMovedBackwardsException"/> says how far it moved.
/// </remarks>
public sealed class SnowflakeGenerator : IIdGenerator<long>, IAsyncDisposable
{
    private static readonly TimeSpan MaxPolling = TimeSpan.FromMilliseconds(2);
    private readonly Lock _gate = new();
    private readonly SnowflakeLayout _layout;
    private readonly TimeProvider _time;
    private readonly long _epochUnixMs;
    private readonly long _maxRollbackWaitMs;
    private readonly WorkerIdLease? _lease;
    private readonly CancellationToken _leaseLost;
    // Highest timestamp issued under each rollback counter value; -1 = never used.
    private readonly long[] _highWater;
    private int _counter;
    private long _lastMs;
    private int _sequence;
    private long _lastIssuedUnixMs;

    /// <summary>A generator with the static worker id of <paramref name="options"/>.</summary>
    /// <param name="options">Layout, epoch and <see cref="SnowflakeOptions.WorkerId"/>.</param>
    /// <param name="timeProvider">Clock for timestamps; null is the system clock.</param>
    /// <exception cref="ArgumentNullException"><paramref name="options"/> is null.</exception>
    /// <exception cref="ArgumentException">A setting is invalid, or <see cref="SnowflakeOptions.WorkerId"/> is not set.</exception>
    public SnowflakeGenerator(SnowflakeOptions options, TimeProvider? timeProvider = null)
        : this(options, Checked(options).WorkerId ?? throw new ArgumentException("SnowflakeOptions.WorkerId is required here; to lease a worker id use SnowflakeGenerator.StartAsync."),
            startAfterUnixMs: null, lease: null, timeProvider)
    {
    }

    private SnowflakeGenerator(SnowflakeOptions options, int workerId, long? startAfterUnixMs, WorkerIdLease? lease, TimeProvider? timeProvider)
    {
        _layout = options.Layout;
        SnowflakeOptions.ValidateWorkerId(_layout, workerId);
        WorkerId = workerId;
        Epoch = options.Epoch;
        _epochUnixMs = options.Epoch.ToUnixTimeMilliseconds();
        _time = timeProvider ?? TimeProvider.System;
        _maxRollbackWaitMs = (long)options.MaxRollbackWait.TotalMilliseconds;
        _lease = lease;
        _leaseLost = lease?.Lost ?? CancellationToken.None;
        _highWater = new long[_layout.RollbackCounterValues];
        Array.Fill(_highWater, -1);
        _lastMs = -1;
        if (startAfterUnixMs is { } after && after - _epochUnixMs >= 0)
        {
            // Everything up to and including this millisecond may have been issued by an earlier owner
            // of the worker id: start as if its last sequence of that millisecond were used.
            // The earlier owner may have used any rollback counter value up to then.
            _lastMs = after - _epochUnixMs;
            Array.Fill(_highWater, _lastMs);
            _sequence = _layout.MaxSequence;
        }
        _lastIssuedUnixMs = startAfterUnixMs ?? 0;
    }

    /// <summary>
    /// Starts a generator on a leased worker id. A clock behind the lease's stored last timestamp is
    /// waited out when the gap is within <see cref="SnowflakeOptions.MaxStartupClockWait"/>; a bigger
    /// gap throws <see cref="ClockBehindStoredTimestampException"/>. The generator owns the lease and
    /// persists its last issued timestamp through it.
    /// </summary>
    /// <param name="options">Layout and epoch; the worker id comes from <paramref name="lease"/>.</param>
    /// <param name="lease">The leased worker id; the generator disposes it.</param>
    /// <param name="timeProvider">Clock for timestamps; null is the system clock.</param>
    /// <param name="cancellationToken">Cancels the start-up wait for the clock.</param>
    /// <returns>A running generator on <see cref="WorkerIdLease.WorkerId"/>.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="options"/> or <paramref name="lease"/> is null.</exception>
    /// <exception cref="ClockBehindStoredTimestampException">The clock is further behind the stored timestamp than <see cref="SnowflakeOptions.MaxStartupClockWait"/>.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled during the wait.</exception>
    public static async Task<SnowflakeGenerator> StartAsync(SnowflakeOptions options, WorkerIdLease lease, TimeProvider? timeProvider = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(lease);
        var time = timeProvider ?? TimeProvider.System;
        var gap = lease.LastIssuedUnixMs - time.GetUtcNow().ToUnixTimeMilliseconds();
        if (gap > 0)
        {
            if (gap > options.MaxStartupClockWait.TotalMilliseconds)
                throw new ClockBehindStoredTimestampException(lease.WorkerId, TimeSpan.FromMilliseconds(gap), options.MaxStartupClockWait);
            await Task.Delay(TimeSpan.FromMilliseconds(gap + 1), time, cancellationToken).ConfigureAwait(false);
        }
        var generator = new SnowflakeGenerator(options, lease.WorkerId, lease.LastIssuedUnixMs, lease, time);
        lease.Track(() => Interlocked.Read(ref generator._lastIssuedUnixMs));
        return generator;
    }

    /// <summary>The bit layout of the ids.</summary>
    public SnowflakeLayout Layout => _layout;

    /// <summary>Time zero of the timestamp field.</summary>
    public DateTimeOffset Epoch { get; }

    /// <summary>The worker id in every id this generator issues.</summary>
    public int WorkerId { get; }

    /// <summary>True once the lease on a leased worker id is lost: the generator then refuses to issue ids.</summary>
    public bool LeaseLost => _leaseLost.IsCancellationRequested;

    /// <summary>Unix milliseconds of the newest timestamp issued so far (what a lease store persists).</summary>
    public long LastIssuedUnixMs => Interlocked.Read(ref _lastIssuedUnixMs);

    /// <summary>Issues one id, greater than every id this generator issued before. Thread-safe.</summary>
    /// <returns>A positive 63-bit id.</returns>
    /// <exception cref="InvalidOperationException">The worker id's lease was lost, the clock is before the epoch, or the timestamp no longer fits the layout.</exception>
    /// <exception cref="ClockMovedBackwardsException">The clock went back further than the generator may wait and no rollback counter value is free.</exception>
    public long Next()
    {
        lock (_gate)
            return NextLocked();
    }

    /// <summary>Fills <paramref name="destination"/> with increasing ids under one lock. Thread-safe.</summary>
    /// <param name="destination">Filled completely.</param>
    /// <exception cref="InvalidOperationException">The worker id's lease was lost, the clock is before the epoch, or the timestamp no longer fits the layout.</exception>
    /// <exception cref="ClockMovedBackwardsException">The clock went back further than the generator may wait and no rollback counter value is free.</exception>
    public void Next(Span<long> destination)
    {
        lock (_gate)
        {
            for (var i = 0; i < destination.Length; i++)
                destination[i] = NextLocked();
        }
    }

    /// <summary>Splits an id into its fields using this generator's layout and epoch.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="id"/> is negative, or its timestamp lies past the year 9999 (wide timestamp fields reach that far; no generator could have issued it).</exception>
    public SnowflakeIdParts Decode(long id)
    {
        var (timestamp, counter, worker, sequence) = _layout.Split(id);
        // Both terms are below 2^62, so the sum cannot overflow; a timestamp field of 48 bits or more reaches past what a date can hold.
        var unixMs = _epochUnixMs + timestamp;
        if (unixMs > MaxUnixMs)
            throw new ArgumentOutOfRangeException(nameof(id), id,
                $"Snowflake id {id} has a timestamp {timestamp} ms after the epoch {DateTimeOffset.FromUnixTimeMilliseconds(_epochUnixMs):O}, past the year 9999: no generator with the layout {_layout} could have issued it.");
        return new SnowflakeIdParts(id, DateTimeOffset.FromUnixTimeMilliseconds(unixMs), timestamp, worker, counter, sequence);
    }

    private static readonly long MaxUnixMs = DateTimeOffset.MaxValue.ToUnixTimeMilliseconds();

    /// <summary>Releases the leased worker id, if any, storing the last issued timestamp; a static worker id needs nothing.</summary>
    public ValueTask DisposeAsync() => _lease?.DisposeAsync() ?? ValueTask.CompletedTask;

    private long NextLocked()
    {
        if (_leaseLost.IsCancellationRequested)
            throw new InvalidOperationException($"The lease on worker id {WorkerId} was lost; another process may hold it now, so this generator issues no more ids.");
        while (true)
        {
            var now = NowMs();
            if (now > _lastMs)
            {
                _sequence = 0;
                return Issue(now);
            }
            if (now == _lastMs)
            {
                if (_sequence < _layout.MaxSequence)
                {
                    _sequence++;
                    return Issue(now);
                }
                WaitUntil(_lastMs + 1); // this millisecond is used up
                continue;
            }
            var behind = _lastMs - now;
            if (behind <= _maxRollbackWaitMs)
            {
                WaitUntil(_lastMs);
                continue;
            }
            SwitchRollbackCounter(now, behind);
        }
    }

    private long Issue(long now)
    {
        if (now > _layout.MaxTimestamp)
            throw new InvalidOperationException(
                $"The timestamp {now} ms after the epoch {Epoch:O} does not fit the {_layout.TimestampBits} timestamp bits of the layout {_layout}; choose a later epoch.");
        _lastMs = now;
        _highWater[_counter] = now;
        var unixMs = now + _epochUnixMs;
        if (unixMs > _lastIssuedUnixMs)
            Interlocked.Exchange(ref _lastIssuedUnixMs, unixMs);
        return _layout.Compose(now, _counter, WorkerId, _sequence);
    }

    private void SwitchRollbackCounter(long now, long behind)
    {
        var values = _highWater.Length;
        for (var step = 1; step < values; step++)
        {
            var candidate = (_counter + step) % values;
            if (_highWater[candidate] < now)
            {
                _counter = candidate;
                _lastMs = _highWater[candidate]; // below now: the next loop issues at now with sequence 0
                return;
            }
        }
        var reason = values == 1
            ? $"that is more than the {_maxRollbackWaitMs} ms this generator waits out, and the layout {_layout} has no rollback bits."
            : $"that is more than the {_maxRollbackWaitMs} ms this generator waits out, and all {values} rollback counter values have already issued ids at or after this time.";
        throw new ClockMovedBackwardsException(TimeSpan.FromMilliseconds(behind),
            DateTimeOffset.FromUnixTimeMilliseconds(_lastMs + _epochUnixMs),
            DateTimeOffset.FromUnixTimeMilliseconds(now + _epochUnixMs), reason);
    }

    private long NowMs()
    {
        var now = _time.GetUtcNow().ToUnixTimeMilliseconds() - _epochUnixMs;
        if (now < 0)
            throw new InvalidOperationException($"The clock ({_time.GetUtcNow():O}) is before the Snowflake epoch {Epoch:O}.");
        return now;
    }

    // Waits are short (under a millisecond for a used-up sequence, at most MaxRollbackWait for a
    // rollback), so the caller keeps its thread: sleeping while more than a millisecond remains, then
    // polling the clock. Polling does not yield, because on a busy host a yielded thread can lose the
    // CPU for longer than the millisecond it waits for; only a clock that stays put for over 2 ms of
    // real time (a test's fake clock) makes it yield.
    // The clock it waits for is the TimeProvider's; only the sleep and the polling budget are on real time,
    // because they pace this thread rather than read the time an id carries (hence RS0030 is off here).
#pragma warning disable RS0030
    private void WaitUntil(long targetMs)
    {
        var spinner = new SpinWait();
        var pollingSince = 0L;
        long now;
        while ((now = NowMs()) < targetMs)
        {
            if (targetMs - now > 1)
            {
                Thread.Sleep(1);
                continue;
            }
            if (pollingSince == 0)
                pollingSince = Stopwatch.GetTimestamp();
            else if (Stopwatch.GetElapsedTime(pollingSince) > MaxPolling)
                spinner.SpinOnce(sleep1Threshold: -1);
        }
    }
#pragma warning restore RS0030

    private static SnowflakeOptions Checked(SnowflakeOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.WorkerId is { } id)
            SnowflakeOptions.ValidateWorkerId(options.Layout, id);
        return options;
    }
}
