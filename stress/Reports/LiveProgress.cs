using System.Diagnostics;
using Coord.Stress.Engine;
using Spectre.Console;

namespace Coord.Stress.Reports;

/// <summary>
/// Live progress while scenarios run: a Spectre.Console progress bar per scenario with its running count
/// of acquisitions and errors; plain lines when the output is not a terminal.
/// </summary>
public sealed class LiveProgress
{
    private readonly bool _interactive;

    public LiveProgress(bool enabled) => _interactive = enabled && AnsiConsole.Profile.Capabilities.Interactive;

    public async Task<T> RunAsync<T>(Func<LockRun.ScenarioStarted, Task<T>> work)
    {
        if (!_interactive)
        {
            return await work((scenario, _) => AnsiConsole.MarkupLine(Markup.Escape($"{DateTime.UtcNow:HH:mm:ss} running {scenario.Name} ({scenario.Load})"))).ConfigureAwait(false);
        }

        return await AnsiConsole.Progress()
            .AutoClear(false)
            .HideCompleted(false)
            .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn(), new ElapsedTimeColumn())
            .StartAsync(async context =>
            {
                ProgressTask? current = null;
                ScenarioProgress? counters = null;
                var name = "";
                var started = 0L;
                TimeSpan? during = null;
                using var stop = new CancellationTokenSource();
                var ticker = Task.Run(async () =>
                {
                    while (!stop.IsCancellationRequested)
                    {
                        try
                        {
                            await Task.Delay(250, stop.Token).ConfigureAwait(false);
                        }
                        catch (OperationCanceledException)
                        {
                            return;
                        }
                        if (current is null || counters is null)
                            continue;
                        var acquisitions = counters.Acquisitions + counters.External;
                        current.Description = Markup.Escape($"{name}: {acquisitions} acquisitions, {counters.Errors} errors");
                        if (during is { } d)
                            current.Value = Math.Min(100, Stopwatch.GetElapsedTime(started) / d * 100);
                    }
                });
                var result = await work((scenario, progress) =>
                {
                    if (current is not null)
                        current.Value = 100;
                    name = scenario.Name;
                    counters = progress;
                    started = Stopwatch.GetTimestamp();
                    during = scenario.Load.During;
                    current = context.AddTask(Markup.Escape(name), maxValue: 100);
                }).ConfigureAwait(false);
                if (current is not null)
                    current.Value = 100;
                await stop.CancelAsync().ConfigureAwait(false);
                await ticker.ConfigureAwait(false);
                return result;
            }).ConfigureAwait(false);
    }
}
