namespace Coord.Locks.Postgres;

/// <summary>What one call of an acquire function found: the fence when held, else how long until it is worth asking again; and when it was sent.</summary>
internal readonly record struct PostgresAcquireCall(long? Fence, TimeSpan RetryIn, long Sent);
