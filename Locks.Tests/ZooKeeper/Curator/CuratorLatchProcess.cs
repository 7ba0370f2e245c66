using System.Globalization;

namespace Coord.Locks.Tests.ZooKeeper.Curator;

/// <summary>
/// A Java process taking part in an election with Apache Curator's LeaderLatch, driven one line per step
/// (CuratorLatchDriver.java beside the tests, through <see cref="CuratorDriver"/>).
/// </summary>
internal sealed class CuratorLatchProcess : IAsyncDisposable
{
    private readonly CuratorDriver _driver;

    private CuratorLatchProcess(CuratorDriver driver) => _driver = driver;

    /// <summary>Starts the driver on the latch path <paramref name="path"/> and waits until its client is connected.</summary>
    public static async Task<CuratorLatchProcess> StartAsync(string connectString, string path, TimeSpan sessionTimeout)
        => new(await CuratorDriver.StartAsync("CuratorLatchDriver.java", connectString, path, ((int)sessionTimeout.TotalMilliseconds).ToString(CultureInfo.InvariantCulture)));

    /// <summary>A new LeaderLatch with <paramref name="participant"/> as its id joins the election.</summary>
    public Task JoinAsync(string participant) => StepAsync("S", participant, "");

    /// <summary>True once the latch leads, false when <paramref name="wait"/> ran out first.</summary>
    public async Task<bool> AwaitLeadershipAsync(TimeSpan wait)
        => await StepAsync("A", ((long)wait.TotalMilliseconds).ToString(CultureInfo.InvariantCulture), " ") switch
        {
            "1" => true,
            "0" => false,
            var other => throw new InvalidOperationException($"Curator's await answered {other}"),
        };

    /// <summary>The participant id of the leader, as the latch sees it (LeaderLatch.getLeader).</summary>
    public Task<string> LeaderAsync() => StepAsync("L", null, " ");

    /// <summary>Closes the latch: its node goes and the next candidate leads.</summary>
    public Task LeaveAsync() => StepAsync("C", null, "");

    /// <summary>Runs one step; returns what the reply carries after "verb id" and <paramref name="separator"/>.</summary>
    private async Task<string> StepAsync(string verb, string? argument, string separator)
    {
        var id = _driver.NextId();
        var reply = await _driver.CallAsync(argument is null ? $"{verb} {id}" : $"{verb} {id} {argument}", id);
        var expected = $"{verb} {id}{separator}";
        if (!reply.StartsWith(expected, StringComparison.Ordinal))
            throw new InvalidOperationException($"Curator's LeaderLatch failed step {verb}: {reply}");
        return reply[expected.Length..];
    }

    public ValueTask DisposeAsync() => _driver.DisposeAsync();
}
