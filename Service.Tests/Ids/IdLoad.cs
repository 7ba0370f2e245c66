namespace Coord.Service.Tests.Ids;

/// <summary>
/// Asks a service for snowflake ids and v7 UUIDs in a loop, in the background, keeping them in the
/// order they came; any answer but 200 fails the load.
/// </summary>
internal sealed class IdLoad : IAsyncDisposable
{
    private readonly HttpClient _client;
    private readonly CancellationTokenSource _stop = new();
    private readonly List<string> _snowflakes = [];
    private readonly List<string> _uuids = [];
    private readonly Task _loop;
    private int _rounds;

    private IdLoad(HttpClient client)
    {
        _client = client;
        _loop = Task.Run(LoopAsync);
    }

    public static IdLoad Start(HttpClient client) => new(client);

    /// <summary>Returns once a few more rounds of requests have been answered.</summary>
    public async Task WaitForMoreAsync(int rounds = 5)
    {
        var target = Volatile.Read(ref _rounds) + rounds;
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        while (Volatile.Read(ref _rounds) < target)
        {
            if (_loop.IsCompleted)
                await _loop; // surfaces the failure
            await Task.Delay(20, timeout.Token);
        }
    }

    public async Task<(List<long> Snowflakes, List<string> Uuids)> StopAsync()
    {
        await _stop.CancelAsync();
        await _loop;
        return (_snowflakes.Select(long.Parse).ToList(), _uuids);
    }

    private async Task LoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            _snowflakes.AddRange(await ClockStepProcessTests.SnowflakesAsync(_client));
            _uuids.AddRange(await ClockStepProcessTests.UuidsAsync(_client));
            Interlocked.Increment(ref _rounds);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        try
        {
            await _loop;
        }
        catch (Exception) when (_stop.IsCancellationRequested)
        {
            // the test already failed or stopped the load
        }
        _stop.Dispose();
    }
}
