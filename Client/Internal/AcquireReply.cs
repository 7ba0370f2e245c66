namespace Coord.Client.Internal;

/// <summary>The body of a granted acquire. The holder token is secret: it never reaches a log or a message.</summary>
internal sealed record AcquireReply(string HolderToken, long? FencingToken);
