namespace Coord.Locks.Tests;

/// <summary>Lets queued waiters hold a lock one after another, to see in which order it reached them.</summary>
internal static class TakeTurns
{
    /// <summary>
    /// Waits for each grant among <paramref name="waiting"/>, checks it with <paramref name="check"/> and
    /// releases it, until every waiter had its turn; returns who held the lock, in order.
    /// </summary>
    public static async Task<List<string>> RunAsync(List<(string Who, Task<ILockHandle> Task)> waiting, Func<ILockHandle, Task> check)
    {
        var order = new List<string>();
        while (waiting.Count > 0)
        {
            var done = await Task.WhenAny(waiting.Select(w => w.Task));
            order.Add(waiting.Single(w => w.Task == done).Who);
            waiting.RemoveAll(w => w.Task == done);
            var next = await done;
            await check(next);
            await next.ReleaseAsync();
        }
        return order;
    }
}
