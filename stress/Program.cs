using System.CommandLine;
using Coord.Stress.Cli;
using Spectre.Console;

// Redirected output (CI logs, files) gets wide tables instead of 80 wrapped columns.
if (Console.IsOutputRedirected)
    AnsiConsole.Profile.Width = 240;

try
{
    // Own handler: bad input exits 2 with one line, so exit code 1 keeps meaning "violations found".
    return await StressCommandLine.Build(args).Parse(args).InvokeAsync(new InvocationConfiguration { EnableDefaultExceptionHandler = false });
}
catch (ArgumentException e)
{
    AnsiConsole.MarkupLine($"[red]{Markup.Escape(e.Message)}[/]");
    return 2;
}
catch (OperationCanceledException)
{
    AnsiConsole.MarkupLine("[yellow]Cancelled.[/]");
    return 130;
}
