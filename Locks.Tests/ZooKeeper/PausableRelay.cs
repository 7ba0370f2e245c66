using System.Net.Sockets;

namespace Coord.Locks.Tests.ZooKeeper;

/// <summary>
/// A relay that <see cref="Pause"/> makes go silent, as the host of a paused process would: nothing is
/// forwarded either way and new connections are not put through until the pause ends; bytes sent meanwhile
/// wait in the socket buffers, nothing is dropped. The tests' own seam for a stalled client.
/// </summary>
public sealed class PausableRelay(string host, int port) : LoopbackRelay(host, port)
{
    private TaskCompletionSource _running = Running();

    /// <summary>Forwards nothing for <paramref name="duration"/>, then carries on where it stopped.</summary>
    public void Pause(TimeSpan duration)
    {
        var paused = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Volatile.Write(ref _running, paused);
        _ = Task.Delay(duration, Stopping).ContinueWith(_ => paused.TrySetResult(), TaskScheduler.Default);
    }

    private static TaskCompletionSource Running()
    {
        var running = new TaskCompletionSource();
        running.SetResult();
        return running;
    }

    private Task WhileRunningAsync() => Volatile.Read(ref _running).Task.WaitAsync(Stopping);

    protected override Task BeforeConnectAsync() => WhileRunningAsync();

    protected override Task RelayAsync(int number, NetworkStream client, NetworkStream server)
        => Task.WhenAny(PumpAsync(client, server), PumpAsync(server, client));

    private async Task PumpAsync(NetworkStream from, NetworkStream to)
    {
        var buffer = new byte[16 * 1024];
        try
        {
            while (true)
            {
                await WhileRunningAsync();
                var read = await from.ReadAsync(buffer, Stopping);
                if (read == 0)
                    return;
                // A read already waiting when the pause began holds its bytes until the pause ends.
                await WhileRunningAsync();
                await to.WriteAsync(buffer.AsMemory(0, read), Stopping);
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException or SocketException or ObjectDisposedException)
        {
        }
    }
}
