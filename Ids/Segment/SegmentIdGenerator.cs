using System.Collections.Concurrent;
using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Coord.Ids.Segment;

/// <summary>
/// Meituan Leaf's segment mode: each tag holds two segments of its id range; once
/// <see cref="SegmentIdOptions.PreloadThreshold"/> of the current one is used, the next is loaded in
/// the background, so a draw waits on the store only when both are empty. The step adapts to the
/// draw rate (doubling when a segment drains within 15 min, halving when it lasts over 30). Ids of a
/// tag are unique across all generators sharing the store; a segment left unused at shutdown leaves
/// a gap, never a repeat. Thread-safe, and drawing ids takes no lock: each thread claims a small
/// chunk of the current segment with one atomic add (a batch claims all it needs at once), so threads
/// scale instead of queueing. A thread's ids increase; two threads' calls interleave out of order by at
/// most a chunk (Leaf's "trend-increasing"); a batch is one increasing run.
/// </summary>
public sealed class SegmentIdGenerator : ISegmentIdGenerator, IAsyncDisposable
{
    private static readonly TimeSpan BackgroundRetryDelay = TimeSpan.FromSeconds(1);
    private readonly ISegmentStore _store;
    private readonly SegmentIdOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly ConcurrentDictionary<string, SegmentBuffer> _buffers = new(StringComparer.Ordinal);
    private int _autoCreatedTags;
    private int _disposed;

    /// <summary>A generator drawing segments from <paramref name="store"/>.</summary>
    /// <param name="store">Where segments come from; every generator of a tag must share it.</param>
    /// <param name="options">Step and preload settings; null uses the defaults. Validated here.</param>
    /// <param name="timeProvider">Clock for the adaptive step; null is the system clock.</param>
    /// <param name="logger">Where background load failures are logged; null logs nothing.</param>
    /// <exception cref="ArgumentNullException"><paramref name="store"/> is null.</exception>
    /// <exception cref="ArgumentException">A setting in <paramref name="options"/> is out of range.</exception>
    public SegmentIdGenerator(ISegmentStore store, SegmentIdOptions? options = null, TimeProvider? timeProvider = null, ILogger<SegmentIdGenerator>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(store);
        _options = options ?? new SegmentIdOptions();
        _options.Validate();
        _store = store;
        _time = timeProvider ?? TimeProvider.System;
        _logger = logger ?? (ILogger)NullLogger.Instance;
    }

    /// <summary>The store segments come from.</summary>
    public ISegmentStore Store => _store;

    /// <inheritdoc/>
    public ValueTask<long> NextAsync(string tag, CancellationToken cancellationToken = default)
    {
        var buffer = BufferFor(tag);
        return TryTake(buffer, out var id) ? ValueTask.FromResult(id) : new ValueTask<long>(WaitForSegmentAsync(buffer, cancellationToken));
    }

    /// <inheritdoc/>
    public ValueTask NextAsync(string tag, Memory<long> destination, CancellationToken cancellationToken = default)
    {
        var buffer = BufferFor(tag);
        var filled = TakeBuffered(buffer, destination.Span);
        return filled == destination.Length ? ValueTask.CompletedTask : new ValueTask(FillSlowlyAsync(buffer, destination[filled..], cancellationToken));
    }

    /// <summary>
    /// The ids of <paramref name="tag"/> this generator holds but has not issued: what threads claimed
    /// and have not handed out yet, the rest of the current segment and the loaded next one. They are
    /// lost (a gap) if the process stops now. Exact once no call is drawing ids.
    /// </summary>
    public IReadOnlyList<(long Start, long End)> GetUnissuedRanges(string tag)
    {
        if (!_buffers.TryGetValue(tag, out var buffer))
            return [];
        lock (buffer.Gate)
        {
            var ranges = buffer.Local.Values.Where(c => c.Next < c.End).Select(c => (c.Next, c.End)).ToList();
            var current = buffer.Current;
            var cursor = current.Cursor;
            if (cursor < current.End)
                ranges.Add((cursor, current.End));
            if (buffer.Next is { } next)
                ranges.Add((next.Start, next.MaxId));
            ranges.Sort();
            return ranges;
        }
    }

    /// <summary>The step the next load of <paramref name="tag"/> asks for (0 before the first load).</summary>
    public int CurrentStep(string tag) => _buffers.TryGetValue(tag, out var buffer) ? Volatile.Read(ref buffer.Step) : 0;

    /// <summary>How many loads this generator has started for <paramref name="tag"/>.</summary>
    internal long LoadsStarted(string tag)
    {
        if (!_buffers.TryGetValue(tag, out var buffer))
            return 0;
        lock (buffer.Gate)
            return buffer.LoadsStarted;
    }

    /// <summary>Stops starting loads and waits for those in flight (each is bounded by the store's timeouts).</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
            return;
        var loads = new List<Task>();
        foreach (var buffer in _buffers.Values)
        {
            lock (buffer.Gate)
            {
                if (buffer.Loading is { } loading)
                    loads.Add(loading);
            }
        }
        // A load already sent may have advanced max_id; letting it finish keeps its range accounted for.
        await Task.WhenAll(loads).ConfigureAwait(false);
    }

    private SegmentBuffer BufferFor(string tag)
    {
        if (_buffers.TryGetValue(tag, out var buffer))
            return buffer;
        SegmentIdOptions.ValidateTag(tag);
        return _buffers.GetOrAdd(tag, static t => new SegmentBuffer(t));
    }

    // The hot path: this thread's claimed chunk, else one atomic claim on the current segment. Ids a
    // thread hands out increase; calls on different threads interleave by at most a chunk.
    private bool TryTake(SegmentBuffer buffer, out long id)
    {
        var local = buffer.Local.Value!;
        if (local.Next < local.End)
        {
            id = local.Next++;
            return true;
        }
        while (true)
        {
            var range = Volatile.Read(ref buffer.Current);
            if (range.TryClaim(range.ChunkSize, out var start, out var end))
            {
                Claimed(buffer, range, end);
                id = start;
                local.Next = start + 1;
                local.End = end;
                return true;
            }
            if (!MoveToNextSegment(buffer, range))
            {
                id = 0;
                return false;
            }
        }
    }

    // A batch is this thread's own chunk, then one contiguous claim per segment it spans.
    private int TakeBuffered(SegmentBuffer buffer, Span<long> destination)
    {
        var filled = 0;
        var local = buffer.Local.Value!;
        while (filled < destination.Length && local.Next < local.End)
            destination[filled++] = local.Next++;
        return filled + TakeShared(buffer, destination[filled..]);
    }

    // Claims straight from the segments, leaving no chunk behind: after an await the code runs on a pool
    // thread, and a chunk left there would later go to some other caller, out of that caller's order.
    private int TakeShared(SegmentBuffer buffer, Span<long> destination)
    {
        var filled = 0;
        while (filled < destination.Length)
        {
            var range = Volatile.Read(ref buffer.Current);
            if (range.TryClaim(destination.Length - filled, out var start, out var end))
            {
                Claimed(buffer, range, end);
                for (var id = start; id < end; id++)
                    destination[filled++] = id;
            }
            else if (!MoveToNextSegment(buffer, range))
            {
                break;
            }
        }
        return filled;
    }

    private bool TryTakeShared(SegmentBuffer buffer, out long id)
    {
        Span<long> one = stackalloc long[1];
        var taken = TakeShared(buffer, one) == 1;
        id = one[0];
        return taken;
    }

    // Whoever claims past the preload point checks whether the next segment must be loaded; once it is
    // loaded (or loading) that costs two reads of fields that rarely change.
    private void Claimed(SegmentBuffer buffer, SegmentRange range, long claimedEnd)
    {
        if (claimedEnd <= range.PreloadAt || buffer.Next.HasValue || Volatile.Read(ref buffer.Loading) is not null || Volatile.Read(ref _disposed) != 0)
            return;
        lock (buffer.Gate)
        {
            if (buffer.Next is null && buffer.Loading is null && ReferenceEquals(buffer.Current, range)
                && (buffer.RetryBackgroundLoadAt == 0 || _time.GetTimestamp() >= buffer.RetryBackgroundLoadAt))
                StartLoadLocked(buffer);
        }
    }

    /// <summary>Makes the loaded next segment current once <paramref name="drained"/> is used up; false when none is loaded.</summary>
    private bool MoveToNextSegment(SegmentBuffer buffer, SegmentRange drained)
    {
        lock (buffer.Gate)
        {
            if (!ReferenceEquals(buffer.Current, drained))
                return true; // another caller moved on already
            if (buffer.Next is not { } next)
                return false;
            buffer.Next = null;
            Volatile.Write(ref buffer.Current, new SegmentRange(next.Start, next.MaxId, PreloadPoint(next.Start, next.MaxId)));
            return true;
        }
    }

    private long PreloadPoint(long start, long end)
        => start + Math.Max(0, (long)Math.Ceiling((end - start) * _options.PreloadThreshold) - 1);

    private Task<Exception?> StartLoadLocked(SegmentBuffer buffer)
    {
        buffer.LoadsStarted++;
        // Task.Run: the store call must not start on the caller's thread while it holds the buffer lock.
        var loading = Task.Run(() => LoadAsync(buffer));
        buffer.Loading = loading;
        return loading;
    }

    private async Task<long> WaitForSegmentAsync(SegmentBuffer buffer, CancellationToken cancellationToken)
    {
        long arrivedAt;
        lock (buffer.Gate)
            arrivedAt = buffer.LoadsStarted;
        while (true)
        {
            if (TryTakeShared(buffer, out var id))
                return id;
            Task<Exception?> loading;
            long loadNumber;
            lock (buffer.Gate)
            {
                if (buffer.Next is not null)
                    continue; // loaded since the take failed
                ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
                loading = buffer.Loading ?? StartLoadLocked(buffer);
                loadNumber = buffer.LoadsStarted;
            }
            var failure = await loading.WaitAsync(cancellationToken).ConfigureAwait(false);
            if (failure is null)
                continue;
            if (failure is SegmentTagNotFoundException or SegmentTagLimitReachedException)
            {
                // A tag that never had a segment keeps no buffer: callers naming ever new unknown tags must not grow memory.
                if (Volatile.Read(ref buffer.StoredStep) == 0)
                    _buffers.TryRemove(new KeyValuePair<string, SegmentBuffer>(buffer.Tag, buffer));
                throw failure is SegmentTagLimitReachedException
                    ? new SegmentTagLimitReachedException(buffer.Tag, _options.MaxAutoCreatedTags, _store.Description)
                    : new SegmentTagNotFoundException(buffer.Tag, _store.Description);
            }
            // A load begun before this call may have failed long ago; only a fresh failure is the answer.
            if (loadNumber > arrivedAt)
            {
                if (TryTakeShared(buffer, out id))
                    return id;
                throw new SegmentUnavailableException(buffer.Tag, _store.Description, failure);
            }
        }
    }

    private async Task FillSlowlyAsync(SegmentBuffer buffer, Memory<long> destination, CancellationToken cancellationToken)
    {
        var filled = 0;
        while (filled < destination.Length)
        {
            var id = await WaitForSegmentAsync(buffer, cancellationToken).ConfigureAwait(false);
            destination.Span[filled++] = id;
            filled += TakeShared(buffer, destination.Span[filled..]);
        }
    }

    private async Task<Exception?> LoadAsync(SegmentBuffer buffer)
    {
        try
        {
            int? step;
            lock (buffer.Gate)
                step = buffer.Step == 0 ? null : NextStepLocked(buffer);
            var allocation = await _store.AllocateAsync(buffer.Tag, step, CancellationToken.None).ConfigureAwait(false);
            if (allocation is null)
            {
                if (!_options.AutoCreateTags)
                    throw new SegmentTagNotFoundException(buffer.Tag, _store.Description);
                await CreateTagAsync(buffer.Tag).ConfigureAwait(false);
                allocation = await _store.AllocateAsync(buffer.Tag, step, CancellationToken.None).ConfigureAwait(false)
                    ?? throw new SegmentTagNotFoundException(buffer.Tag, _store.Description);
            }
            var segment = allocation.Value;
            lock (buffer.Gate)
            {
                buffer.Next = segment;
                buffer.StoredStep = segment.StoredStep;
                buffer.Step = segment.Step;
                buffer.LastLoadTimestamp = _time.GetTimestamp();
                buffer.Loading = null;
                buffer.RetryBackgroundLoadAt = 0;
            }
            _logger.LogDebug("Loaded segment [{Start}, {End}) of tag {Tag} from {Store}.", segment.Start, segment.MaxId, buffer.Tag, _store.Description);
            return null;
        }
        catch (Exception ex)
        {
            lock (buffer.Gate)
            {
                buffer.Loading = null;
                buffer.RetryBackgroundLoadAt = _time.GetTimestamp() + (long)(BackgroundRetryDelay.TotalSeconds * _time.TimestampFrequency);
            }
            if (ex is not SegmentTagNotFoundException and not SegmentTagLimitReachedException)
                _logger.LogWarning(ex, "Loading the next segment of tag {Tag} from {Store} failed; buffered ids are still served.", buffer.Tag, _store.Description);
            return ex;
        }
    }

    /// <summary>Creates a tag on first use while fewer than <see cref="SegmentIdOptions.MaxAutoCreatedTags"/> were made.</summary>
    private async Task CreateTagAsync(string tag)
    {
        // Counted before the store is asked, so concurrent first uses cannot overshoot the limit.
        if (Interlocked.Increment(ref _autoCreatedTags) > _options.MaxAutoCreatedTags)
        {
            Interlocked.Decrement(ref _autoCreatedTags);
            throw new SegmentTagLimitReachedException(tag, _options.MaxAutoCreatedTags, _store.Description);
        }
        try
        {
            await _store.CreateTagAsync(tag, _options.InitialStep, "created by Coord on first use", CancellationToken.None).ConfigureAwait(false);
            _logger.LogInformation("Created segment tag {Tag} in {Store} on first use ({Count} of at most {Limit}).", tag, _store.Description, Volatile.Read(ref _autoCreatedTags), _options.MaxAutoCreatedTags);
        }
        catch
        {
            Interlocked.Decrement(ref _autoCreatedTags);
            throw;
        }
    }

    // Leaf's rule: how long the previous segment lasted sets the next step, bounded below by the
    // tag's stored step and above by MaxStep.
    private int NextStepLocked(SegmentBuffer buffer)
    {
        var lasted = _time.GetElapsedTime(buffer.LastLoadTimestamp);
        var step = buffer.Step;
        if (lasted < _options.GrowWhenDrainedWithin)
            step = (int)Math.Min((long)step * 2, _options.MaxStep);
        else if (lasted > _options.ShrinkWhenLastingOver)
            step = Math.Max(step / 2, buffer.StoredStep);
        Debug.Assert(step >= 1);
        return Math.Max(step, 1);
    }
}
