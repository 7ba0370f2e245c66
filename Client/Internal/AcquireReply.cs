namespace Coord.Client.Internal;

/// <summary>
/// An acquire's answer that is not an error: a grant (the holder token is secret: it never reaches a log or a
/// message), or, with no holder token, a semaphore in use with another max count (<see cref="ActiveMaxCount"/>).
/// </summary>
internal sealed record AcquireReply(string? HolderToken, long? FencingToken, int? ActiveMaxCount = null);
