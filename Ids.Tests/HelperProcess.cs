using System.Diagnostics;

namespace Coord.Ids.Tests;

/// <summary>Runs this test assembly's <see cref="Program"/> in a second process.</summary>
internal sealed class HelperProcess : IDisposable
{
    private readonly Process _process;

    private HelperProcess(Process process) => _process = process;

    public static HelperProcess Start(params string[] arguments)
    {
        var dotnet = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host ? host : "dotnet";
        var start = new ProcessStartInfo(dotnet)
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.ArgumentList.Add("exec");
        start.ArgumentList.Add(typeof(Program).Assembly.Location);
        foreach (var argument in arguments)
            start.ArgumentList.Add(argument);
        return new HelperProcess(Process.Start(start) ?? throw new InvalidOperationException("Could not start the helper process."));
    }

    public int Id => _process.Id;

    /// <summary>The next line the helper prints, within <paramref name="timeout"/>.</summary>
    public async Task<string> ReadLineAsync(TimeSpan timeout)
    {
        using var cancel = new CancellationTokenSource(timeout);
        return await _process.StandardOutput.ReadLineAsync(cancel.Token) ?? throw new InvalidOperationException(
            $"The helper exited (code {(_process.HasExited ? _process.ExitCode : -1)}): {await _process.StandardError.ReadToEndAsync(cancel.Token)}");
    }

    /// <summary>Waits for a clean exit, failing with the helper's error output otherwise.</summary>
    public async Task WaitForSuccessAsync(TimeSpan timeout)
    {
        using var cancel = new CancellationTokenSource(timeout);
        var error = _process.StandardError.ReadToEndAsync(cancel.Token);
        await _process.WaitForExitAsync(cancel.Token);
        if (_process.ExitCode != 0)
            throw new InvalidOperationException($"The helper failed (exit code {_process.ExitCode}): {await error}");
    }

    /// <summary>SIGKILL: the helper dies without releasing anything.</summary>
    public void Kill()
    {
        if (!_process.HasExited)
        {
            _process.Kill();
            _process.WaitForExit(10_000);
        }
    }

    public void Dispose()
    {
        Kill();
        _process.Dispose();
    }
}
