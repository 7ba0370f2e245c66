namespace Coord.Locks.RedLock;

/// <summary>
/// One master's answer to a vote: whether the token holds that master's key now, and if not, how long
/// until asking again is worth it and the master's clock (microseconds) when it said no.
/// </summary>
internal readonly record struct MasterVote(bool Held, long RetryMs, long ServerMicros);
