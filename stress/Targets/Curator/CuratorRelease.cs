namespace Coord.Stress.Targets.Curator;

/// <summary>A hold of the Curator driver's (a mutex, a semaphore lease, a read or write lock, a leader latch): releasing sends <c>R req</c>; Curator gives no fencing token.</summary>
internal sealed class CuratorRelease(CuratorDriverProcess driver, long request) : IHeldLock
{
    public long? FencingToken => null;
    public bool IsLost => false;

    public async ValueTask ReleaseAsync()
    {
        var reply = await driver.CallAsync($"R {request}", $"R {request}", CancellationToken.None).ConfigureAwait(false);
        if (reply != $"R {request}")
            throw new InvalidOperationException($"Curator release failed: {reply}");
    }

    /// <summary>Sends one acquire line of <paramref name="kind"/> for <paramref name="client"/> and returns the driver's reply.</summary>
    public static Task<string> AcquireAsync(CuratorDriverProcess driver, char kind, long request, int client, TimeSpan wait, TimeSpan ttl, string path, CancellationToken cancellationToken)
        => driver.CallAsync(string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{kind} {request} {client} {(int)ttl.TotalMilliseconds} {(long)wait.TotalMilliseconds} {path}"),
            $"{kind} {request}", CancellationToken.None).WaitAsync(cancellationToken);

    /// <summary>Closes the driver's CuratorFramework of <paramref name="client"/> (its session).</summary>
    public static async ValueTask CloseClientAsync(CuratorDriverProcess driver, int client)
        => await driver.CallAsync($"C {client}", $"C {client}", CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(30)).ConfigureAwait(false);
}
