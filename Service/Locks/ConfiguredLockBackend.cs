using Coord.Locks;

namespace Coord.Service.Locks;

/// <summary>One backend of the registry: the name requests use, its type and the provider.</summary>
public sealed record ConfiguredLockBackend(string Name, string Type, ILockLeases Lock);
