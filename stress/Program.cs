Console.WriteLine("Coord stress runner: not built yet (see issue 8).");
return 0;
