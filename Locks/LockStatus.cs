namespace Coord.Locks;

/// <summary>What anyone may know about a lock: whether it is held, and its latest fencing token. Never the holder token.</summary>
/// <param name="Name">The lock name asked about.</param>
/// <param name="Held">Whether someone holds the lock now.</param>
/// <param name="ExpiresIn">Time left on the current lease as the backend sees it, when held and the backend can tell.</param>
/// <param name="FencingToken">The fencing token of the latest acquisition, when the backend keeps one.</param>
public sealed record LockStatus(string Name, bool Held, TimeSpan? ExpiresIn, long? FencingToken);
