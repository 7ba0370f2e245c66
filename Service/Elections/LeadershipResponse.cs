namespace Coord.Service.Elections;

/// <summary>A leadership won over HTTP. Keep <see cref="HolderToken"/> secret: it is what renews and resigns the leadership.</summary>
/// <param name="Term">
/// The leadership epoch as a decimal string: strictly greater than every earlier leader's term of the election. Pass it
/// with every write the leader makes, so that a resource can refuse the writes of a deposed leader.
/// </param>
/// <param name="Value">The value this leader announces (the campaign's).</param>
/// <param name="ExpiresAt">UTC time until which the leadership is certainly valid: measured from when the service sent the campaign, less a drift margin. Renew before it.</param>
public sealed record LeadershipResponse(string Name, string Backend, string HolderToken, string Term, string Value, long TtlMs, DateTimeOffset ExpiresAt);
