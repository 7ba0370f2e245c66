namespace Coord.Service.Elections;

/// <summary>Who leads an election, as anyone with an API key may know it (never the holder token); also the data of each observed event.</summary>
/// <param name="HasLeader">False when nobody leads now; <see cref="Value"/> and <see cref="Term"/> are then null.</param>
/// <param name="Value">The leader's value, such as its address.</param>
/// <param name="Term">The leader's term as a decimal string; a new leader's is always higher.</param>
public sealed record ElectionLeaderResponse(string Name, string Backend, bool HasLeader, string? Value, string? Term);
