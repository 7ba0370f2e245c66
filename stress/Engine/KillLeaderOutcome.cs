namespace Coord.Stress.Engine;

/// <summary>
/// What the kill-leader fault of an <c>elections</c> scenario saw: the leader's worker process was SIGKILLed while it
/// led in <see cref="KilledTerm"/>; the next leader came <see cref="SecondsToNextLeader"/> later in <see cref="NextTerm"/>.
/// It passes when a leader was killed, the next one came within TTL + 1 s, and its term is above the killed one's.
/// </summary>
/// <param name="KilledTerm">Null when no worker was caught leading within 10 s (then a worker was killed anyway).</param>
/// <param name="NextTerm">Null when nobody led after the kill before the run ended.</param>
public sealed record KillLeaderOutcome(double TtlSeconds, long? KilledTerm, long? NextTerm, double? SecondsToNextLeader)
{
    /// <summary>The next leader must come within the TTL (the dead leader's lease or session running out) plus 1 s.</summary>
    public double LimitSeconds => TtlSeconds + 1;

    public bool TermsRose => KilledTerm is { } killed && NextTerm is { } next && next > killed;

    public bool InTime => SecondsToNextLeader is { } seconds && seconds <= LimitSeconds;

    public bool Passed => TermsRose && InTime;
}
