using System.Globalization;

namespace Coord.Locks.Tests.ZooKeeper.Curator;

/// <summary>
/// A Java process taking and returning leases of Apache Curator's InterProcessSemaphoreV2, and read and write locks
/// of its InterProcessReadWriteLock, driven one line per step (CuratorSemaphoreDriver.java beside the tests, through
/// <see cref="CuratorDriver"/>).
/// </summary>
internal sealed class CuratorSemaphoreProcess : IAsyncDisposable
{
    private readonly CuratorDriver _driver;

    private CuratorSemaphoreProcess(CuratorDriver driver) => _driver = driver;

    /// <summary>Starts the driver on <paramref name="path"/> with <paramref name="maxLeases"/> and waits until its client is connected.</summary>
    public static async Task<CuratorSemaphoreProcess> StartAsync(string connectString, string path, int maxLeases, TimeSpan sessionTimeout)
        => new(await CuratorDriver.StartAsync("CuratorSemaphoreDriver.java",
            connectString, path, maxLeases.ToString(CultureInfo.InvariantCulture), ((int)sessionTimeout.TotalMilliseconds).ToString(CultureInfo.InvariantCulture)));

    /// <summary>Takes one lease, waiting at most <paramref name="wait"/>; the lease's id, or null when the wait ran out.</summary>
    public Task<string?> AcquireAsync(TimeSpan wait) => TakeAsync("A", wait);

    /// <summary>Takes the read lock of Curator's InterProcessReadWriteLock on the driver's path, waiting at most <paramref name="wait"/>; the hold's id (return it with <see cref="ReleaseAsync"/>), or null when the wait ran out.</summary>
    public Task<string?> AcquireReadLockAsync(TimeSpan wait) => TakeAsync("RL", wait);

    /// <summary>Takes the write lock of Curator's InterProcessReadWriteLock on the driver's path, waiting at most <paramref name="wait"/>; the hold's id, or null when the wait ran out.</summary>
    public Task<string?> AcquireWriteLockAsync(TimeSpan wait) => TakeAsync("WL", wait);

    private async Task<string?> TakeAsync(string step, TimeSpan wait)
    {
        var id = _driver.NextId();
        var reply = await _driver.CallAsync($"{step} {id} {(long)wait.TotalMilliseconds}", id);
        return reply == $"A {id} 1" ? id : reply == $"A {id} 0" ? null : throw new InvalidOperationException($"Curator could not acquire: {reply}");
    }

    /// <summary>Returns the lease or lock hold <paramref name="id"/> (Curator deletes its node).</summary>
    public async Task ReleaseAsync(string id)
    {
        var reply = await _driver.CallAsync($"R {id}", id);
        if (reply != $"R {id}")
            throw new InvalidOperationException($"Curator could not return lease {id}: {reply}");
    }

    public ValueTask DisposeAsync() => _driver.DisposeAsync();
}
