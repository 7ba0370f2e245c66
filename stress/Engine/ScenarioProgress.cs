namespace Coord.Stress.Engine;

/// <summary>Live counters of a running scenario, read by the progress display while clients update them.</summary>
public sealed class ScenarioProgress
{
    private long _acquisitions;
    private long _errors;

    public long Acquisitions => Interlocked.Read(ref _acquisitions);
    public long Errors => Interlocked.Read(ref _errors);

    /// <summary>Acquisitions counted elsewhere (worker processes) and reported here.</summary>
    public long External;

    public void Acquired() => Interlocked.Increment(ref _acquisitions);
    public void Failed() => Interlocked.Increment(ref _errors);
    public void Reset()
    {
        Interlocked.Exchange(ref _acquisitions, 0);
        Interlocked.Exchange(ref _errors, 0);
    }
}
