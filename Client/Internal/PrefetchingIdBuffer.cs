using Microsoft.Extensions.Logging;

namespace Coord.Client.Internal;

/// <summary>
/// Ids fetched from the service in batches, with the next batches fetched in the background before the
/// current one runs out, so a caller waits on the network only when it drains ids faster than they arrive.
/// Batches start small and double (up to the configured maximum) while each is used up within a second,
/// and halve again when one lasts more than a minute, so a quiet caller does not sit on a large stock.
/// One fetch at a time: the service issues a batch only after the one before it, so ids that rise as the
/// service issues them (Snowflake, UUIDv7, segments) also rise as this client hands them out.
/// </summary>
internal sealed class PrefetchingIdBuffer<T> : IAsyncDisposable
{
    private static readonly TimeSpan GrowBelow = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan ShrinkAbove = TimeSpan.FromMinutes(1);
    private static readonly TimeSpan BackgroundRetryDelay = TimeSpan.FromSeconds(1);

    private readonly Func<int, CancellationToken, Task<T[]>> _fetch;
    private readonly string _what;
    private readonly int _initialBatch;
    private readonly int _maxBatch;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly Lock _gate = new();
    private readonly Queue<T[]> _ready = new();

    private readonly CancellationTokenSource _disposed = new();

    private T[] _current = [];
    private int _next;
    private long _currentSince;
    private int _readyIds;
    private bool _fetching;
    private int _batch;
    private long _noBackgroundFetchUntil;
    private TaskCompletionSource? _arrival;

    public PrefetchingIdBuffer(string what, Func<int, CancellationToken, Task<T[]>> fetch, int initialBatch, int maxBatch, TimeProvider time, ILogger logger)
    {
        _what = what;
        _fetch = fetch;
        _initialBatch = initialBatch;
        _maxBatch = maxBatch;
        _batch = initialBatch;
        _time = time;
        _logger = logger;
    }

    public T Next()
    {
        if (TryTakeOne(out var id))
            return id;
        var one = new T[1];
        Fill(one);
        return one[0];
    }

    /// <summary>The hot path: one id from the current batch, under the lock only for the index bump.</summary>
    private bool TryTakeOne(out T id)
    {
        lock (_gate)
        {
            if (_next < _current.Length)
            {
                id = _current[_next++];
                PrefetchLocked();
                return true;
            }
        }
        id = default!;
        return false;
    }

    /// <summary>Fills <paramref name="destination"/>, blocking the thread only while no fetched id is left.</summary>
    public void Fill(Span<T> destination)
    {
        var filled = 0;
        while (TakeOrWait(destination, ref filled) is { } arrival)
            arrival.GetAwaiter().GetResult();
    }

    public async ValueTask<T> NextAsync(CancellationToken cancellationToken)
    {
        if (TryTakeOne(out var id))
            return id;
        var one = new T[1];
        await FillAsync(one, cancellationToken).ConfigureAwait(false);
        return one[0];
    }

    public async ValueTask FillAsync(Memory<T> destination, CancellationToken cancellationToken)
    {
        var filled = 0;
        while (TakeOrWait(destination.Span, ref filled) is { } arrival)
            await arrival.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Copies what is there into <paramref name="destination"/>; null when full, else the arrival to wait for.</summary>
    private Task? TakeOrWait(Span<T> destination, ref int filled)
    {
        ObjectDisposedException.ThrowIf(_disposed.IsCancellationRequested, this);
        lock (_gate)
        {
            while (filled < destination.Length)
            {
                var available = _current.Length - _next;
                if (available > 0)
                {
                    var n = Math.Min(available, destination.Length - filled);
                    _current.AsSpan(_next, n).CopyTo(destination[filled..]);
                    _next += n;
                    filled += n;
                }
                else if (_ready.TryDequeue(out var batch))
                {
                    AdaptLocked();
                    _current = batch;
                    _next = 0;
                    _readyIds -= batch.Length;
                    _currentSince = _time.GetTimestamp();
                }
                else
                {
                    break;
                }
            }
            if (filled == destination.Length)
            {
                PrefetchLocked();
                return null;
            }
            // A caller that has to wait always gets a fetch going, even right after a failed one.
            if (!_fetching)
                StartFetchLocked();
            return (_arrival ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).Task;
        }
    }

    /// <summary>Batches used up fast grow; a batch that lasted long shrinks the next.</summary>
    private void AdaptLocked()
    {
        if (_currentSince == 0)
            return;
        var lasted = _time.GetElapsedTime(_currentSince);
        if (lasted < GrowBelow)
            _batch = (int)Math.Min((long)_batch * 2, _maxBatch);
        else if (lasted > ShrinkAbove)
            _batch = Math.Max(_batch / 2, _initialBatch);
    }

    /// <summary>Keeps about two batches ahead of the caller, counting the one on the way.</summary>
    private void PrefetchLocked()
    {
        if (_fetching || _disposed.IsCancellationRequested || _current.Length - _next + _readyIds >= 2 * _batch)
            return;
        if (_noBackgroundFetchUntil != 0 && _time.GetTimestamp() < _noBackgroundFetchUntil)
            return;
        StartFetchLocked();
    }

    private void StartFetchLocked()
    {
        _fetching = true;
        var size = _batch;
        _ = Task.Run(() => FetchAsync(size));
    }

    private async Task FetchAsync(int size)
    {
        T[]? ids = null;
        Exception? failure = null;
        try
        {
            ids = await _fetch(size, _disposed.Token).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            failure = ex;
        }

        TaskCompletionSource? arrival;
        lock (_gate)
        {
            _fetching = false;
            if (ids is { Length: > 0 })
            {
                _ready.Enqueue(ids);
                _readyIds += ids.Length;
            }
            if (failure is null)
            {
                _noBackgroundFetchUntil = 0;
            }
            else
            {
                _noBackgroundFetchUntil = _time.GetTimestamp() + (long)(BackgroundRetryDelay.TotalSeconds * _time.TimestampFrequency);
            }
            arrival = _arrival;
            _arrival = null;
            if (failure is null)
                PrefetchLocked();
        }

        if (failure is null)
        {
            arrival?.TrySetResult();
            return;
        }
        if (!_disposed.IsCancellationRequested)
            _logger.LogWarning(failure, "Fetching {Count} {What} ids from the Coord service failed", size, _what);
        arrival?.TrySetException(failure);
    }

    public ValueTask DisposeAsync()
    {
        _disposed.Cancel();
        lock (_gate)
        {
            _arrival?.TrySetException(new ObjectDisposedException(GetType().Name));
            _arrival = null;
        }
        return ValueTask.CompletedTask;
    }
}
