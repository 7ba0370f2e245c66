using Coord.Service;

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
await app.RunAsync();
return 0;
