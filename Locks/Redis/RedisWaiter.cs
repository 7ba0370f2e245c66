using Coord.Locks.Internal;

namespace Coord.Locks.Redis;

/// <summary>One waiting acquire: woken by a hand-off message carrying its fencing token.</summary>
internal sealed class RedisWaiter(string token) : HandOffWaiter(token);
