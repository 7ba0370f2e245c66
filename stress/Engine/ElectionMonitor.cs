namespace Coord.Stress.Engine;

/// <summary>
/// Watches the leaders of one election as they happen: a candidate elected while another still leads is two
/// leaders at once; a leader whose term is not above the previous leader's breaks the rising-term rule (a
/// repeated term is two leaders in one term). Counts the turnovers (leaderships).
/// </summary>
public sealed class ElectionMonitor
{
    private readonly Lock _gate = new();
    private int _leading;
    private long? _lastTerm;

    public long Turnovers { get; private set; }
    public long Overlaps { get; private set; }
    public long TermsNotRising { get; private set; }

    /// <summary>Records a leadership starting; call after the campaign returned, before the leader's work.</summary>
    public void Elected(long term)
    {
        lock (_gate)
        {
            if (_leading > 0)
                Overlaps++;
            if (_lastTerm is { } last && term <= last)
                TermsNotRising++;
            _lastTerm = term;
            _leading++;
            Turnovers++;
        }
    }

    /// <summary>Records a leadership ending; call after the leader's work, before it resigns.</summary>
    public void Resigning()
    {
        lock (_gate)
            _leading--;
    }
}
