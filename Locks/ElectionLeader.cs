namespace Coord.Locks;

/// <summary>Who leads an election: the value the leader campaigned with (or last proclaimed) and its term.</summary>
/// <param name="Election">The election name.</param>
/// <param name="Value">The leader's value, such as its address; proclaiming changes it within the same term.</param>
/// <param name="Term">
/// The leadership epoch: strictly greater for every new leader of the election than for any earlier one, the same
/// for every value one leader proclaims. Hand it to downstream resources so they can refuse a deposed leader's writes.
/// </param>
public sealed record ElectionLeader(string Election, string Value, long Term);
