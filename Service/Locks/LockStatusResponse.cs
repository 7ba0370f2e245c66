namespace Coord.Service.Locks;

/// <summary>What anyone with an API key may know about a lock. Never the holder token.</summary>
/// <param name="ExpiresInMs">Time left on the current lease as the backend sees it, when held and the backend can tell; null when free.</param>
/// <param name="FencingToken">The current hold's fencing token as a decimal string, when held and the backend issues them; null when free.</param>
public sealed record LockStatusResponse(string Name, string Backend, bool Held, long? ExpiresInMs, string? FencingToken);
