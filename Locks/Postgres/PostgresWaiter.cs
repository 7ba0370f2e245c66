using Coord.Locks.Internal;

namespace Coord.Locks.Postgres;

/// <summary>One waiting acquire, woken by the shared listener: by a hand-off naming its token, by a "free" message for its name, or by a reconnect.</summary>
internal sealed class PostgresWaiter(string channel, string name, string token) : HandOffWaiter(token)
{
    public string Channel { get; } = channel;
    public string Name { get; } = name;
}
