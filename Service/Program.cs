using Coord.Service;
using Coord.Service.Hosting;

WebApplication app;
try
{
    app = CoordServiceApp.Build(args);
}
catch (Exception ex) when (ex is InvalidOperationException or ArgumentException)
{
    // A configuration mistake: say what to change, without a stack trace in the way.
    Console.Error.WriteLine($"Coord service cannot start: {ex.Message}");
    return 2;
}

try
{
    await app.StartAsync();
}
catch (Exception ex)
{
    Console.Error.WriteLine($"Coord service cannot start: {StartFailure.Describe(ex) ?? ex.ToString()}");
    await app.DisposeAsync();
    return StartFailure.ExitCode(ex);
}
await app.WaitForShutdownAsync();
await app.DisposeAsync();
return 0;
