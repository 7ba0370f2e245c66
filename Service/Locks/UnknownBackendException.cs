namespace Coord.Service.Locks;

/// <summary>A request named a lock backend this service does not have. Answered with 400.</summary>
public sealed class UnknownBackendException(string message) : ArgumentException(message, "backend");
