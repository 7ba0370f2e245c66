namespace Coord.Stress.Engine;

/// <summary>
/// How many copies of a scenario run and for how long, in NBomber's terms: <c>KeepConstant</c> runs a
/// fixed number of copies (clients) for a duration; <c>IterationsForConstant</c> runs them until a
/// total number of iterations is done.
/// </summary>
public sealed record LoadSimulation(int Copies, TimeSpan? During, long? Iterations)
{
    public static LoadSimulation KeepConstant(int copies, TimeSpan during)
    {
        if (copies < 1)
            throw new ArgumentException($"A load simulation needs at least 1 copy; it was {copies}.", nameof(copies));
        if (during <= TimeSpan.Zero)
            throw new ArgumentException($"A load simulation must last more than 0; it was {during}.", nameof(during));
        return new(copies, during, null);
    }

    public static LoadSimulation IterationsForConstant(int copies, long iterations)
    {
        if (copies < 1)
            throw new ArgumentException($"A load simulation needs at least 1 copy; it was {copies}.", nameof(copies));
        if (iterations < 1)
            throw new ArgumentException($"A load simulation needs at least 1 iteration; it was {iterations}.", nameof(iterations));
        return new(copies, null, iterations);
    }

    public override string ToString() => During is { } d
        ? $"KeepConstant({Copies}, {d.TotalSeconds:0.###} s)"
        : $"IterationsForConstant({Copies}, {Iterations})";
}
