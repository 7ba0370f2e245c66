using BenchmarkDotNet.Attributes;
using Coord.Locks;
using Coord.Locks.InMemory;

namespace Coord.Benchmarks;

/// <summary>
/// The client CPU and allocations one uncontended acquire + release costs in the shared provider and
/// handle path (validation, holder token, wait bound, metrics, the hold's timers, release), without a
/// network: <see cref="CompletedBackendLock"/> answers every call at once, so what it measures is the
/// core that etcd, Redis and PostgreSQL holds all pay; the in-memory backend adds its store.
/// </summary>
[MemoryDiagnoser]
public class LockOverheadBenchmarks
{
    private CompletedBackendLock _completed = null!;
    private InMemoryLock _inMemory = null!;

    [GlobalSetup]
    public void Setup()
    {
        _completed = new CompletedBackendLock(new LockOptions());
        _inMemory = new InMemoryLock(new InMemoryLockOptions { Store = new InMemoryLockStore(TimeProvider.System) });
    }

    [GlobalCleanup]
    public async Task Cleanup()
    {
        await _completed.DisposeAsync();
        await _inMemory.DisposeAsync();
    }

    [Benchmark(Baseline = true, Description = "acquire+release, backend answers at once")]
    public async Task CompletedBackend()
    {
        var handle = await _completed.AcquireAsync("orders/42", TimeSpan.FromSeconds(1));
        await handle.DisposeAsync();
    }

    [Benchmark(Description = "acquire+release, in-memory backend")]
    public async Task InMemory()
    {
        var handle = await _inMemory.AcquireAsync("orders/42", TimeSpan.FromSeconds(1));
        await handle.DisposeAsync();
    }
}
